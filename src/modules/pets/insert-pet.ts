import { randomUUID } from 'node:crypto';
import { type Pet, type PetStatus, Prisma } from '../../generated/prisma/client.ts';
import type { TransactionClient } from '../../outbox/enqueue.ts';

/** A validated new pet: what createPet has left after parsing the client's input. */
export type NewPet = {
  name: string;
  species: string;
  breed: string | null;
  age: number | null;
  /** Canonical, two decimals, e.g. "1200.00". */
  price: string;
  category: string | null;
  description: string | null;
  status: PetStatus;
};

/**
 * Inserts a pet inside `tx` as `tx.pet.create({ data })` would, and returns the same `Pet`: an id
 * made here (a v4 UUID, like the schema's `@default(uuid())`), created_at and updated_at both the
 * moment of the call (like `@default(now())` and `@updatedAt`), the price as a Prisma Decimal.
 *
 * One statement in SQL rather than through Prisma's model API, because createPet is the API's
 * hottest write and the model call costs far more CPU than the statement: serialising the call,
 * parameterising it for the query-plan cache, rendering the templated INSERT and mapping the row
 * back cost about 0.3 ms of CPU per pet (1.0–1.1 ms per createPet call through tx.pet.create against
 * 0.77 ms with this statement, same transaction, same process), on a single-threaded server whose CPU
 * is what limits createPet. Still inside the interactive transaction, so the pet and its outbox row
 * commit or roll back together.
 * A column added to `pets` with no default fails this INSERT loudly rather than being skipped.
 */
export async function insertPet(tx: TransactionClient, pet: NewPet): Promise<Pet> {
  const now = new Date();
  const [row] = await tx.$queryRaw<(Omit<Pet, 'price'> & { price: string })[]>`
    INSERT INTO pets (id, name, species, breed, age, price, category, description, status, created_at, updated_at)
    VALUES (${randomUUID()}::uuid, ${pet.name}, ${pet.species}, ${pet.breed}, ${pet.age}, ${pet.price}::numeric,
            ${pet.category}, ${pet.description}, CAST(${pet.status} AS pet_status), ${now}, ${now})
    RETURNING id::text AS id, name, species, breed, age, price::text AS price, category, description,
              status::text AS status, created_at AS "createdAt", updated_at AS "updatedAt"`;
  if (!row) throw new Error('pet insert returned no row');
  return { ...row, price: new Prisma.Decimal(row.price) };
}

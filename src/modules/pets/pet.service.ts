import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.ts';
import { parseInput } from '../../domain/parse-input.ts';
import { type EventContext, recordEvent } from '../../events/record-event.ts';
import type { Pet, PrismaClient } from '../../generated/prisma/client.ts';
import type { EnqueuedEvent, TransactionClient } from '../../outbox/enqueue.ts';
import { insertPet } from './insert-pet.ts';
import {
  PET_DESCRIPTIVE_FIELDS,
  type PetDescriptiveField,
  PetPriceChanged,
  PetUpdated,
  petSnapshot,
} from './pet.events.ts';
import { CreatePetRules, PetId, Price, UpdatePetRules } from './pet.validation.ts';

/** A business change and the events its transaction wrote (empty when nothing changed). */
export type PetChange = { pet: Pet; events: EnqueuedEvent[] };

/**
 * Validates, then inserts the pet and its `pet.created` outbox row in one interactive transaction:
 * both or neither. Bad input throws a ValidationError before the transaction starts.
 */
export async function createPet(
  prisma: PrismaClient,
  rawInput: unknown,
  context: EventContext,
): Promise<PetChange> {
  const input = parseInput(CreatePetRules, rawInput, ['input']);
  return prisma.$transaction(async (tx) => {
    const { pet, event } = await insertPet(
      tx,
      {
        name: input.name,
        species: input.species,
        breed: input.breed ?? null,
        age: input.age ?? null,
        price: input.price,
        category: input.category ?? null,
        description: input.description ?? null,
        status: input.status ?? 'available',
      },
      context,
    );
    return { pet, events: [event] };
  });
}

/**
 * Locks the pet's row until the transaction ends, so the "previous" values an event reports are the
 * ones this change replaced, even when two updates of one pet race.
 */
async function lockPet(tx: TransactionClient, id: string): Promise<Pet> {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM pets WHERE id = ${id}::uuid FOR UPDATE`;
  if (locked.length === 0) throw new NotFoundError('Pet', id);
  return tx.pet.findUniqueOrThrow({ where: { id } });
}

const UpdatePetArgs = z.object({ id: PetId, input: UpdatePetRules });

/**
 * Changes a pet's descriptive fields and writes `pet.updated` listing what changed and what it was.
 * Values equal to the current ones are no change: when nothing changes, nothing is written.
 */
export async function updatePet(
  prisma: PrismaClient,
  rawId: unknown,
  rawInput: unknown,
  context: EventContext,
): Promise<PetChange> {
  const { id, input } = parseInput(UpdatePetArgs, { id: rawId, input: rawInput }, []);
  return prisma.$transaction(async (tx) => {
    const current = await lockPet(tx, id);
    const changes: Partial<Pick<Pet, PetDescriptiveField>> = {};
    const previous: Partial<Pick<Pet, PetDescriptiveField>> = {};
    for (const field of PET_DESCRIPTIVE_FIELDS) {
      const next = input[field];
      if (next === undefined || next === current[field]) continue;
      Object.assign(changes, { [field]: next });
      Object.assign(previous, { [field]: current[field] });
    }
    const changedFields = PET_DESCRIPTIVE_FIELDS.filter((field) => field in changes);
    if (changedFields.length === 0) return { pet: current, events: [] };
    const pet = await tx.pet.update({ where: { id }, data: changes });
    const event = await recordEvent(
      tx,
      PetUpdated,
      id,
      { pet: petSnapshot(pet), changedFields, previous },
      context,
    );
    return { pet, events: [event] };
  });
}

const ChangePriceArgs = z.object({ id: PetId, price: Price });

/** Sets a pet's price and writes `pet.price_changed`; the same price again writes nothing. */
export async function changePetPrice(
  prisma: PrismaClient,
  rawId: unknown,
  rawPrice: unknown,
  context: EventContext,
): Promise<PetChange> {
  const { id, price } = parseInput(ChangePriceArgs, { id: rawId, price: rawPrice }, []);
  return prisma.$transaction(async (tx) => {
    const current = await lockPet(tx, id);
    const previousPrice = current.price.toFixed(2);
    if (previousPrice === price) return { pet: current, events: [] };
    const pet = await tx.pet.update({ where: { id }, data: { price } });
    const event = await recordEvent(
      tx,
      PetPriceChanged,
      id,
      { pet: petSnapshot(pet), previousPrice },
      context,
    );
    return { pet, events: [event] };
  });
}

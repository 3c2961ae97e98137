import { describe, expect } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { Database } from '../../src/infra/db.ts';
import { petSnapshot } from '../../src/modules/pets/pet.events.ts';
import { createPet } from '../../src/modules/pets/pet.service.ts';
import { examplePetInput } from '../support/examples.ts';
import { test } from '../support/fixtures.ts';

let db: Database;

test.beforeAll(({ database }) => {
  db = database.db;
});

async function counts() {
  const { rows } = await db.pool.query<{ pets: number; events: number }>(
    'SELECT (SELECT count(*) FROM pets)::int AS pets, (SELECT count(*) FROM outbox_events)::int AS events',
  );
  return rows[0];
}

describe('createPet', () => {
  test('writes the pet and its pet.created outbox row together', async () => {
    const { pet } = await createPet(db.prisma, examplePetInput(), {
      correlationId: 'corr-create-1',
      topicPrefix: 'petstore',
    });
    const { rows } = await db.pool.query('SELECT * FROM outbox_events WHERE aggregate_id = $1', [pet.id]);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({
      aggregate_type: 'pet',
      event_type: 'pet.created',
      topic: 'petstore.pets',
      correlation_id: 'corr-create-1',
      aggregate_sequence: 1,
      status: 'pending',
      is_processed: false,
      retry_count: 0,
      processed_at: null,
    });
    const data = JSON.parse(row.event_data);
    expect(data).toMatchObject({
      schemaVersion: 1,
      pet: { id: pet.id, ...examplePetInput() },
    });
    // The event is written by the pet's own statement, from the values it inserts: it must say what
    // the row holds.
    expect(data.pet).toEqual(petSnapshot(pet));
  });

  test('returns the pet exactly as Prisma reads it back: v4 id, Decimal price, equal timestamps', async () => {
    for (const input of [
      examplePetInput(),
      { name: 'Tom', species: 'cat', price: '0.1', status: 'sold' as const },
    ]) {
      const { pet } = await createPet(db.prisma, input, { correlationId: null, topicPrefix: 'petstore' });
      expect(pet).toEqual(await db.prisma.pet.findUniqueOrThrow({ where: { id: pet.id } }));
      expect(pet.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(pet.price).toBeInstanceOf(Prisma.Decimal);
      expect(pet.createdAt).toEqual(pet.updatedAt);
    }
  });

  test('a failure of the outbox insert leaves neither the pet nor an outbox row', async () => {
    // A fault in the database itself: the outbox insert fails (made by the pet's own statement, it
    // runs beside the pet insert rather than after it, so whether it sees the pet row is left open).
    await db.pool.query(`
      CREATE FUNCTION fail_ghost_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.event_data LIKE '%"Ghost"%' THEN
          RAISE EXCEPTION 'injected failure';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_ghost_event BEFORE INSERT ON outbox_events
        FOR EACH ROW EXECUTE FUNCTION fail_ghost_event();`);
    try {
      const before = await counts();
      await expect(
        createPet(
          db.prisma,
          { name: 'Ghost', species: 'cat', price: '10.00' },
          { correlationId: 'corr-create-2', topicPrefix: 'petstore' },
        ),
      ).rejects.toThrow('injected failure');
      // Neither the pet row nor an outbox row is left.
      expect(await counts()).toEqual(before);
      expect(await db.prisma.pet.count({ where: { name: 'Ghost' } })).toBe(0);
    } finally {
      await db.pool.query('DROP TRIGGER fail_ghost_event ON outbox_events; DROP FUNCTION fail_ghost_event()');
    }
  });
});

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createAnnouncer } from '../../src/outbox/announcer.ts';
import { PENDING_CHANNEL } from '../../src/outbox/notification-channels.ts';
import { topicFor } from '../../src/outbox/topics.ts';
import { petInput } from './create-pet-client.ts';

type PetRow = {
  id: string;
  name: string;
  species: string;
  breed: string | null;
  age: number | null;
  price: string;
  category: string | null;
  description: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
};

/**
 * The database's own limit for what createPet writes: the same transaction (BEGIN; the pet row and
 * its outbox row, with the `outbox_aggregate_sequences` upsert, in one statement as insertPet writes
 * them; COMMIT),
 * then the same wake-up of the relays after the commit (a coalesced NOTIFY from a connection of its
 * own, as the service sends), through the bare `pg` driver with one connection per client. No
 * GraphQL, no Prisma, no validation: what is left is PostgreSQL's cost for the same work.
 */
export function createBareDriverWriter({
  databaseUrl,
  connections,
  topicPrefix,
}: {
  databaseUrl: string;
  connections: number;
  topicPrefix: string;
}) {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: connections,
    application_name: 'petstore-bench-bare',
  });
  pool.on('error', () => {});
  const announcePool = new pg.Pool({
    connectionString: databaseUrl,
    max: 1,
    application_name: 'petstore-bench-bare-announce',
  });
  announcePool.on('error', () => {});
  const announcer = createAnnouncer({
    pool: announcePool,
    channel: PENDING_CHANNEL,
    log: { warn: () => {} },
  });
  const topic = topicFor(topicPrefix, 'pet');

  /**
   * `onCommitted` hears the outbox event's id, the moment COMMIT was acknowledged to this client, and
   * the database's clock_timestamp() when the outbox row was inserted (both epoch ms): the commit
   * lies between the two, one COMMIT round trip after the insert.
   */
  async function insert(
    index: number,
    onCommitted?: (eventId: string, committedAtMs: number, insertedAtMs: number) => void,
  ): Promise<string | null> {
    const input = petInput(index) as Record<string, string | number>;
    const eventId = randomUUID();
    const petId = randomUUID();
    const now = new Date();
    const pet = {
      id: petId,
      name: input.name,
      species: input.species,
      breed: input.breed ?? null,
      age: input.age ?? null,
      price: input.price,
      category: input.category ?? null,
      description: input.description ?? null,
      status: 'available',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const data = JSON.stringify({ schemaVersion: 1, pet });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query<PetRow & { inserted_ms: number }>(
        `WITH change AS (
           INSERT INTO pets (id, name, species, breed, age, price, category, description, status, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'available', $9, $9)
           RETURNING id, name, species, breed, age, price::text, category, description, status, created_at, updated_at
         ),
         next_sequence AS (
           INSERT INTO outbox_aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
           VALUES ('pet', $1, 1)
           ON CONFLICT (aggregate_type, aggregate_id)
             DO UPDATE SET last_sequence = outbox_aggregate_sequences.last_sequence + 1
           RETURNING last_sequence
         ),
         outbox_event AS (
           INSERT INTO outbox_events
             (id, aggregate_id, aggregate_type, event_type, event_data, correlation_id, topic, aggregate_sequence)
           SELECT $10::uuid, $1, 'pet', 'pet.created', $11, $12, $13, last_sequence FROM next_sequence
           RETURNING extract(epoch FROM clock_timestamp())::float8 * 1000 AS inserted_ms
         )
         SELECT change.*, outbox_event.inserted_ms FROM change CROSS JOIN outbox_event`,
        [
          petId,
          pet.name,
          pet.species,
          pet.breed,
          pet.age,
          pet.price,
          pet.category,
          pet.description,
          now,
          eventId,
          data,
          randomUUID(),
          topic,
        ],
      );
      await client.query('COMMIT');
      announcer.announce();
      onCommitted?.(
        eventId,
        performance.timeOrigin + performance.now(),
        inserted.rows[0]?.inserted_ms ?? Number.NaN,
      );
      return null;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      return (error as Error).message;
    } finally {
      client.release();
    }
  }

  return {
    insert,
    async close() {
      await announcer.settled();
      await Promise.all([pool.end(), announcePool.end()]);
    },
  };
}

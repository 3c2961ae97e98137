import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { topicFor } from '../../src/outbox/topics.ts';

const CHUNK_ROWS = 5000;

export type BacklogSpec = {
  events: number;
  aggregates: number;
  /** Size of each event's JSON value, in bytes. */
  payloadBytes: number;
  topicPrefix: string;
};

/** A `pet.updated`-shaped JSON document of exactly `bytes` bytes (padded in the description). */
export function eventPayload(aggregateId: string, sequence: number, bytes: number): string {
  const document = {
    schemaVersion: 1,
    pet: {
      id: aggregateId,
      name: `Bench pet ${sequence}`,
      species: 'dog',
      breed: 'Golden Retriever',
      age: 3,
      price: '1200.00',
      category: 'friendly',
      description: '',
      status: 'available',
      createdAt: '2026-11-26T10:30:00.000Z',
      updatedAt: '2026-11-26T10:30:00.000Z',
    },
    changedFields: ['description'],
  };
  const bare = JSON.stringify(document).length;
  document.pet.description = 'x'.repeat(Math.max(0, bytes - bare));
  return JSON.stringify(document);
}

/**
 * Writes a backlog the way enqueueOutboxEvent would have, only in bulk: the same columns (id,
 * aggregate, type, data, correlation id, topic, aggregate_sequence; the rest are the table's
 * defaults) and the matching `outbox_aggregate_sequences` rows. Aggregates take turns (event i
 * belongs to aggregate i mod N), as concurrent users would interleave them. Then ANALYZE and a
 * CHECKPOINT, so a drain meets the planner statistics and the quiet WAL of a table in steady use,
 * not the aftermath of the bulk load.
 */
export async function writeBacklog(
  pool: pg.Pool,
  spec: BacklogSpec,
  onProgress: (written: number) => void = () => {},
): Promise<void> {
  const aggregateIds = Array.from({ length: spec.aggregates }, () => randomUUID());
  const topic = topicFor(spec.topicPrefix, 'pet');
  for (let start = 0; start < spec.events; start += CHUNK_ROWS) {
    const end = Math.min(spec.events, start + CHUNK_ROWS);
    const ids: string[] = [];
    const aggregates: string[] = [];
    const data: string[] = [];
    const sequences: number[] = [];
    for (let index = start; index < end; index += 1) {
      const aggregateId = aggregateIds[index % spec.aggregates] as string;
      const sequence = Math.floor(index / spec.aggregates) + 1;
      ids.push(randomUUID());
      aggregates.push(aggregateId);
      sequences.push(sequence);
      data.push(eventPayload(aggregateId, sequence, spec.payloadBytes));
    }
    await pool.query(
      `INSERT INTO outbox_events
         (id, aggregate_id, aggregate_type, event_type, event_data, correlation_id, topic, aggregate_sequence)
       SELECT id, aggregate_id, 'pet', 'pet.updated', event_data, 'bench-backlog', $5, aggregate_sequence
       FROM unnest($1::uuid[], $2::varchar[], $3::text[], $4::int[])
         AS t(id, aggregate_id, event_data, aggregate_sequence)`,
      [ids, aggregates, data, sequences, topic],
    );
    onProgress(end);
  }
  const lastSequences = aggregateIds.map((_, index) =>
    index < spec.events ? Math.floor((spec.events - 1 - index) / spec.aggregates) + 1 : 0,
  );
  await pool.query(
    `INSERT INTO outbox_aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
     SELECT 'pet', aggregate_id, last_sequence FROM unnest($1::varchar[], $2::int[]) AS t(aggregate_id, last_sequence)
     WHERE last_sequence > 0
     ON CONFLICT (aggregate_type, aggregate_id)
       DO UPDATE SET last_sequence = GREATEST(outbox_aggregate_sequences.last_sequence, EXCLUDED.last_sequence)`,
    [aggregateIds, lastSequences],
  );
  await pool.query('ANALYZE outbox_events, outbox_aggregate_sequences');
  // Needs superuser; without it the drain just shares the machine with a checkpoint now and then.
  await pool.query('CHECKPOINT').catch(() => {});
}

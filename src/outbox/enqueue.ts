import { randomUUID } from 'node:crypto';
import { Prisma } from '../generated/prisma/client.ts';
import { type AggregateType, topicFor } from './topics.ts';

/**
 * Writing an outbox row needs a transaction client: the type makes it impossible to write one
 * outside the business transaction whose change it announces.
 */
export type TransactionClient = Prisma.TransactionClient;

export type NewOutboxEvent = {
  aggregateType: AggregateType;
  aggregateId: string;
  /** e.g. `pet.created` */
  eventType: string;
  /** The message value: serialised once here, published byte for byte. */
  data: unknown;
  correlationId: string | null;
};

export type EnqueuedEvent = {
  id: string;
  aggregateType: AggregateType;
  aggregateId: string;
  eventType: string;
  aggregateSequence: number;
  topic: string;
};

/** The outbox row's own columns, fixed before the statement runs (its sequence number is not). */
type OutboxRow = { id: string; topic: string; event: NewOutboxEvent };

/** Takes the aggregate's next sequence number; its row lock stays until the transaction ends. */
function nextSequence({ event }: OutboxRow): Prisma.Sql {
  return Prisma.sql`next_sequence AS (
      INSERT INTO outbox_aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
      VALUES (${event.aggregateType}, ${event.aggregateId}, 1)
      ON CONFLICT (aggregate_type, aggregate_id)
        DO UPDATE SET last_sequence = outbox_aggregate_sequences.last_sequence + 1
      RETURNING last_sequence
    )`;
}

function insertOutboxRow({ id, topic, event }: OutboxRow): Prisma.Sql {
  return Prisma.sql`INSERT INTO outbox_events
      (id, aggregate_id, aggregate_type, event_type, event_data, correlation_id, topic, aggregate_sequence)
    SELECT ${id}::uuid, ${event.aggregateId}, ${event.aggregateType}, ${event.eventType},
           ${JSON.stringify(event.data)}, ${event.correlationId}, ${topic}, last_sequence
    FROM next_sequence
    RETURNING aggregate_sequence`;
}

function outboxRow(event: NewOutboxEvent, topicPrefix: string): OutboxRow {
  return { id: randomUUID(), topic: topicFor(topicPrefix, event.aggregateType), event };
}

function enqueued({ id, topic, event }: OutboxRow, aggregateSequence: number): EnqueuedEvent {
  return {
    id,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    eventType: event.eventType,
    aggregateSequence,
    topic,
  };
}

/**
 * Adds an event to the outbox inside `tx`. The aggregate's next sequence number is taken from
 * `outbox_aggregate_sequences` in the same statement; the row lock that takes stays until `tx`
 * ends, so concurrent transactions of one aggregate number their events in commit order.
 * Nothing here wakes the relays: the caller announces after its commit (OutboxService.announcePending),
 * or the relays' poll finds the row.
 */
export async function enqueueOutboxEvent(
  tx: TransactionClient,
  event: NewOutboxEvent,
  { topicPrefix }: { topicPrefix: string },
): Promise<EnqueuedEvent> {
  const row = outboxRow(event, topicPrefix);
  const rows = await tx.$queryRaw<{ aggregate_sequence: number }[]>`
    WITH ${nextSequence(row)}
    ${insertOutboxRow(row)}`;
  const [inserted] = rows;
  if (!inserted) throw new Error('outbox insert returned no row');
  return enqueued(row, inserted.aggregate_sequence);
}

/**
 * Writes a business row and its event in one statement inside `tx`: `change` (an INSERT ... RETURNING
 * of exactly one row) runs as a data-modifying WITH query beside the outbox insert of
 * enqueueOutboxEvent, and the call returns the row `change` returned with the enqueued event.
 * One round trip instead of two, for a change whose event can be written before the database has
 * answered (its payload known from what is inserted). Both rows are written by one statement of
 * `tx`, so they commit or roll back together, as with two.
 */
export async function insertWithOutboxEvent<Row extends object>(
  tx: TransactionClient,
  change: Prisma.Sql,
  event: NewOutboxEvent,
  { topicPrefix }: { topicPrefix: string },
): Promise<{ row: Row; event: EnqueuedEvent }> {
  const row = outboxRow(event, topicPrefix);
  const rows = await tx.$queryRaw<(Row & { outbox_aggregate_sequence: number })[]>`
    WITH change AS (${change}),
    ${nextSequence(row)},
    outbox_event AS (${insertOutboxRow(row)})
    SELECT change.*, outbox_event.aggregate_sequence AS outbox_aggregate_sequence
    FROM change CROSS JOIN outbox_event`;
  if (rows.length !== 1) throw new Error(`insert with outbox event returned ${rows.length} rows, not 1`);
  const { outbox_aggregate_sequence: aggregateSequence, ...changed } = rows[0] as Row & {
    outbox_aggregate_sequence: number;
  };
  return { row: changed as unknown as Row, event: enqueued(row, aggregateSequence) };
}

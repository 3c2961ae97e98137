import { randomUUID } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client.ts';
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
  const id = randomUUID();
  const topic = topicFor(topicPrefix, event.aggregateType);
  const rows = await tx.$queryRaw<{ aggregate_sequence: number }[]>`
    WITH next_sequence AS (
      INSERT INTO outbox_aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
      VALUES (${event.aggregateType}, ${event.aggregateId}, 1)
      ON CONFLICT (aggregate_type, aggregate_id)
        DO UPDATE SET last_sequence = outbox_aggregate_sequences.last_sequence + 1
      RETURNING last_sequence
    )
    INSERT INTO outbox_events
      (id, aggregate_id, aggregate_type, event_type, event_data, correlation_id, topic, aggregate_sequence)
    SELECT ${id}::uuid, ${event.aggregateId}, ${event.aggregateType}, ${event.eventType},
           ${JSON.stringify(event.data)}, ${event.correlationId}, ${topic}, last_sequence
    FROM next_sequence
    RETURNING aggregate_sequence`;
  const [row] = rows;
  if (!row) throw new Error('outbox insert returned no row');
  return {
    id,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    eventType: event.eventType,
    aggregateSequence: row.aggregate_sequence,
    topic,
  };
}

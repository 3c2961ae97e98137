import type pg from 'pg';
import { readTopics } from '../outbox/relay-harness.ts';
import type { CollectedMessage } from './kafka-collector.ts';

type Queryable = Pick<pg.Client, 'query'>;

export type OutboxOnKafka = {
  /** Rows in outbox_events: the events whose business change committed. */
  committed: number;
  messages: number;
  /** Messages that repeat an event id already on Kafka (at-least-once redeliveries). */
  redelivered: number;
  /** Committed events missing from Kafka. */
  lost: string[];
  /** Events on Kafka that the outbox does not hold. */
  phantom: string[];
  /** Aggregates whose first deliveries do not run 1, 2, 3, … in Kafka order. */
  outOfOrder: string[];
};

const eventIdOf = (message: CollectedMessage) => message.event.id;

/** Kafka order: by topic, partition, offset. */
function inKafkaOrder(messages: readonly CollectedMessage[]): CollectedMessage[] {
  return [...messages].sort((a, b) =>
    a.topic !== b.topic
      ? a.topic.localeCompare(b.topic)
      : a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

/**
 * Reads `topics` to their end and compares them with the outbox table: the outbox's promise is that
 * Kafka holds exactly the committed events (none lost, none phantom), each aggregate's in sequence
 * order. A redelivery (an event id seen before) is allowed, since delivery is at least once, and left
 * out of the order check: consumers drop it by id.
 */
export async function compareKafkaWithOutbox(
  db: Queryable,
  brokers: string,
  topics: readonly string[],
): Promise<OutboxOnKafka> {
  const { rows } = await db.query<{
    id: string;
    aggregate_type: string;
    aggregate_id: string;
    aggregate_sequence: number;
  }>('SELECT id::text, aggregate_type, aggregate_id, aggregate_sequence FROM outbox_events');
  const messages = await readTopics(brokers, topics);
  const inOutbox = new Map(rows.map((row) => [row.id, row]));
  const onKafka = new Set(messages.map(eventIdOf));

  const seen = new Set<string>();
  const byAggregate = new Map<string, number[]>();
  for (const message of inKafkaOrder(messages)) {
    const id = eventIdOf(message);
    const row = inOutbox.get(id);
    if (seen.has(id) || !row) continue;
    seen.add(id);
    const key = `${row.aggregate_type}/${row.aggregate_id}`;
    byAggregate.set(key, [...(byAggregate.get(key) ?? []), row.aggregate_sequence]);
  }
  return {
    committed: rows.length,
    messages: messages.length,
    redelivered: messages.length - onKafka.size,
    lost: [...inOutbox.keys()].filter((id) => !onKafka.has(id)),
    phantom: [...onKafka].filter((id) => !inOutbox.has(id)),
    outOfOrder: [...byAggregate]
      .filter(([, sequence]) => sequence.some((n, i) => n !== i + 1))
      .map(([aggregate, sequence]) => `${aggregate}: ${sequence.join(',')}`),
  };
}

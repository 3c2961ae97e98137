import type pg from 'pg';
import type { CollectedMessage } from './kafka-collector.ts';
import { inKafkaOrder, sequencesByAggregate } from './kafka-order.ts';
import { readTopics } from './read-topics.ts';

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
  const { rows } = await db.query<{ id: string }>('SELECT id::text FROM outbox_events');
  const messages = await readTopics(brokers, topics);
  const inOutbox = new Set(rows.map((row) => row.id));
  const onKafka = new Set(messages.map(eventIdOf));

  // First deliveries of committed events only: a redelivery is allowed, a phantom is reported apart.
  const seen = new Set<string>();
  const firstDeliveries = inKafkaOrder(messages).filter((message) => {
    const id = eventIdOf(message);
    if (seen.has(id) || !inOutbox.has(id)) return false;
    seen.add(id);
    return true;
  });
  return {
    committed: rows.length,
    messages: messages.length,
    redelivered: messages.length - onKafka.size,
    lost: [...inOutbox].filter((id) => !onKafka.has(id)),
    phantom: [...onKafka].filter((id) => !inOutbox.has(id)),
    outOfOrder: [...sequencesByAggregate(firstDeliveries)]
      .filter(([, sequence]) => sequence.some((n, i) => n !== i + 1))
      .map(([aggregate, sequence]) => `${aggregate}: ${sequence.join(',')}`),
  };
}

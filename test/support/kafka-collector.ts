import { randomBytes } from 'node:crypto';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { DEFAULT_KAFKA_BROKER } from '../../src/config/default-urls.ts';
import { type DeliveredEvent, readDeliveredEvent } from '../../src/inbox/read-delivered-event.ts';
import { waitFor } from './wait-for.ts';

export type CollectedMessage = {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** The outbox event the message carries, read as a consumer reads it (any KAFKA_MESSAGE_FORMAT). */
  event: DeliveredEvent;
};

/** A received message as the tests look at it; throws on a message that is no outbox event. */
export function toCollectedMessage(
  topic: string,
  partition: number,
  message: KafkaMessage,
): CollectedMessage {
  const event = readDeliveredEvent(message);
  if (!event) throw new Error(`${topic}/${partition}@${message.offset} is not an outbox event`);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value?.toString() ?? null,
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
    ),
    event,
  };
}

export const TEST_BROKERS = (process.env.KAFKA_BROKERS ?? DEFAULT_KAFKA_BROKER).split(',');

/**
 * An independent consumer (its own group, from the beginning) that records every message of
 * some topics: what the tests assert on is what really is on the broker.
 */
export async function collectMessages(topics: readonly string[]) {
  const kafka = new Kafka({ clientId: 'test-collector', brokers: TEST_BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  // Created up front so the consumer can subscribe (kafkajs issues #1563, #1618 on KRaft).
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: 3 })),
    });
  }
  await admin.disconnect();
  const consumer = kafka.consumer({
    groupId: `test-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
  });
  const messages: CollectedMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      messages.push(toCollectedMessage(topic, partition, message));
    },
  });
  /**
   * Resolves once this consumer has read everything the broker holds on its topics right now. An
   * absence check ("nothing else was published") made after this is exact: whatever a relay sent and
   * got acknowledged before the call has been read, so not having it means it was not sent.
   */
  async function caughtUp(): Promise<void> {
    const offsetsAdmin = kafka.admin();
    await offsetsAdmin.connect();
    const ends: { topic: string; partition: number; high: bigint }[] = [];
    try {
      for (const topic of topics) {
        for (const { partition, high } of await offsetsAdmin.fetchTopicOffsets(topic)) {
          if (BigInt(high) > 0n) ends.push({ topic, partition, high: BigInt(high) });
        }
      }
    } finally {
      await offsetsAdmin.disconnect();
    }
    await waitFor(
      () =>
        ends.every(({ topic, partition, high }) =>
          messages.some(
            (m) => m.topic === topic && m.partition === partition && BigInt(m.offset) + 1n >= high,
          ),
        ),
      { timeoutMs: 30_000, what: 'the collector to read its topics to their current end' },
    );
  }
  return { messages, caughtUp, stop: () => consumer.disconnect() };
}

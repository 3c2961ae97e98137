import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { type CollectedMessage, toCollectedMessage } from './kafka-collector.ts';
import { waitFor } from './wait-for.ts';

/**
 * Reads every message of some topics, from the beginning up to the offsets that were the end when
 * called, with a consumer group of its own: what the relay really put on the broker.
 */
export async function readTopics(brokers: string, topics: readonly string[]): Promise<CollectedMessage[]> {
  const kafka = new Kafka({
    clientId: 'test-reader',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, bigint>();
  for (const topic of topics) {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(high) > 0n) remaining.set(`${topic}:${partition}`, BigInt(high));
    }
  }
  await admin.disconnect();
  const messages: CollectedMessage[] = [];
  if (remaining.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = `${topic}:${partition}`;
      const high = remaining.get(key);
      if (high === undefined || BigInt(message.offset) >= high) return;
      messages.push(toCollectedMessage(topic, partition, message));
      if (BigInt(message.offset) + 1n >= high) {
        remaining.delete(key);
        if (remaining.size === 0) done();
      }
    },
  });
  try {
    await Promise.race([
      finished,
      waitFor(() => remaining.size === 0, { timeoutMs: 60_000, what: 'reading the topics to their end' }),
    ]);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

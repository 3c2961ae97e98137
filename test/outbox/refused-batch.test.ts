/**
 * A regression test for a silent loss in kafkajs 2.2.4's idempotent producer, which the publisher
 * works around by starting a new producer after every failed send.
 *
 * When the broker refuses one partition of a produce request (here: a message too large for its
 * topic), it still appends the other partitions; kafkajs then rewinds the sequence numbers of all
 * of them. The next batch with the same number of messages per partition reuses those numbers, and
 * the broker acknowledges it as a duplicate of what it already has, without writing it. With the
 * same producer, the last batch below is acknowledged and never stored.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import {
  compressionCodecs,
  createEventPublisher,
  type EventPublisher,
} from '../../src/outbox/relay/publish-events.ts';
import { topicFor } from '../../src/outbox/topics.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { DEFAULT_BROKERS, readTopics, testConfig } from './relay-harness.ts';

const topicPrefix = randomTopicPrefix('refused');
const topic = topicFor(topicPrefix, 'pet');
let publisher: EventPublisher;

beforeAll(async () => {
  const kafka = new Kafka({
    clientId: 'test-admin',
    brokers: DEFAULT_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }],
  });
  await admin.disconnect();
  const config = testConfig({ KAFKA_TOPIC_PREFIX: topicPrefix });
  publisher = createEventPublisher({
    kafka: createKafka({ config, logger: createLogger(config) }),
    source: '/test',
    compression: compressionCodecs.none,
    topics: [topic],
    topicPartitions: 3,
  });
  await publisher.connect();
});

afterAll(async () => {
  await publisher?.disconnect();
});

function events(keys: readonly string[], round: string, poisonKey?: string): ClaimedEvent[] {
  return keys.map((key) => ({
    id: randomUUID(),
    aggregateType: 'pet',
    aggregateId: key,
    aggregateSequence: 1,
    eventType: `pet.${round}`,
    eventData: JSON.stringify({ round, padding: key === poisonKey ? 'x'.repeat(40_000) : '' }),
    correlationId: null,
    topic,
    createdAt: new Date(),
    retryCount: 0,
  }));
}

describe('after the broker refused part of a batch', () => {
  test('the next batch of the same shape is really written, not acknowledged as a duplicate', async () => {
    // Enough keys that every partition gets several messages.
    const keys = Array.from({ length: 30 }, (_, i) => `pet-key-${i}`);
    await publisher.publish(events(keys, 'first'));
    await expect(publisher.publish(events(keys, 'refused', 'pet-key-7'))).rejects.toMatchObject({
      type: 'MESSAGE_TOO_LARGE',
    });
    const last = events(keys, 'after');
    const publications = await publisher.publish(last);
    expect(publications).toHaveLength(keys.length);

    const onKafka = await readTopics(DEFAULT_BROKERS, [topic]);
    const stored = new Set(
      onKafka.map((message) => (message.event.data as { round: string }).round + message.key),
    );
    const missing = last.filter((event) => !stored.has(`after${event.aggregateId}`));
    expect(missing.map((event) => event.aggregateId)).toEqual([]);
    // And each acknowledged offset really holds the message it was reported for.
    const byPosition = new Map(onKafka.map((m) => [`${m.partition}:${m.offset}`, m]));
    for (const { event, partition, offset } of publications) {
      expect(byPosition.get(`${partition}:${offset}`)?.key).toBe(event.aggregateId);
      expect(
        (byPosition.get(`${partition}:${offset}`)?.event.data as { round: string } | undefined)?.round,
      ).toBe('after');
    }
  });
});

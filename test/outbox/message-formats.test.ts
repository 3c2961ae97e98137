/**
 * Every KAFKA_MESSAGE_FORMAT is read back by the consumer-side reader (src/inbox/read-delivered-event.ts)
 * as the event that was sent: through a real broker, and as pure functions for the edge cases.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { readDeliveredEvent } from '../../src/inbox/read-delivered-event.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import {
  createMessageEncoder,
  MESSAGE_FORMATS,
  type MessageFormat,
} from '../../src/outbox/relay/kafka-message.ts';
import {
  compressionCodecs,
  createEventPublisher,
  type EventPublisher,
} from '../../src/outbox/relay/publish-events.ts';
import { topicFor } from '../../src/outbox/topics.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { DEFAULT_BROKERS, readTopics, testConfig } from './relay-harness.ts';

const publishers: EventPublisher[] = [];

afterAll(async () => {
  for (const publisher of publishers) await publisher.disconnect();
});

function event(overrides: Partial<ClaimedEvent> = {}): ClaimedEvent {
  return {
    id: randomUUID(),
    aggregateType: 'pet',
    aggregateId: `pet-${randomUUID().slice(0, 8)}`,
    aggregateSequence: 3,
    eventType: 'pet.updated',
    eventData: JSON.stringify({ schemaVersion: 1, name: 'Rex "the dog"', tags: ['a', 'ü'] }),
    correlationId: 'corr-1',
    topic: 'unused',
    createdAt: new Date('2026-12-01T10:00:00.123Z'),
    retryCount: 0,
    ...overrides,
  };
}

function expected(sent: ClaimedEvent, format: MessageFormat) {
  return {
    id: sent.id,
    type: sent.eventType,
    aggregateType: sent.aggregateType,
    aggregateId: sent.aggregateId,
    aggregateSequence: sent.aggregateSequence,
    correlationId: sent.correlationId,
    data: JSON.parse(sent.eventData),
    format,
  };
}

describe.each(MESSAGE_FORMATS)('KAFKA_MESSAGE_FORMAT=%s', (format) => {
  test('a consumer reads back what the relay sent, through the broker', async () => {
    const topicPrefix = randomTopicPrefix(`format-${format}`);
    const topic = topicFor(topicPrefix, 'pet');
    const config = testConfig({ KAFKA_TOPIC_PREFIX: topicPrefix });
    const publisher = createEventPublisher({
      kafka: createKafka({ config, logger: createLogger(config) }),
      source: '/test',
      format,
      compression: compressionCodecs.none,
      topics: [topic],
      topicPartitions: 3,
    });
    publishers.push(publisher);
    const sent = [event({ topic }), event({ topic, correlationId: null, aggregateSequence: 1 })];
    await publisher.publish(sent);
    const received = await readTopics(DEFAULT_BROKERS, [topic]);
    expect(received.map((message) => message.event)).toEqual(
      expect.arrayContaining(sent.map((one) => expected(one, format))),
    );
    expect(received).toHaveLength(2);
    for (const message of received) expect(message.key).toBe(message.event.aggregateId);
  });

  test('the encoder and the reader agree without a broker', () => {
    const sent = event();
    const message = createMessageEncoder(format, '/petstore')(sent);
    expect(readDeliveredEvent(message)).toEqual(expected(sent, format));
  });
});

describe('the structured format', () => {
  test('is a valid CloudEvents JSON envelope with the data nested, and one header', () => {
    const sent = event();
    const message = createMessageEncoder('structured', '/petstore')(sent);
    expect(message.headers).toEqual({ 'content-type': 'application/cloudevents+json' });
    expect(JSON.parse(String(message.value))).toEqual({
      specversion: '1.0',
      id: sent.id,
      source: '/petstore',
      type: 'pet.updated',
      time: '2026-12-01T10:00:00.123Z',
      subject: `pet/${sent.aggregateId}`,
      datacontenttype: 'application/json',
      aggregatetype: 'pet',
      aggregateid: sent.aggregateId,
      aggregatesequence: 3,
      correlationid: 'corr-1',
      data: JSON.parse(sent.eventData),
    });
  });
});

describe('the reader', () => {
  test('refuses what is no outbox event', () => {
    const structured = { 'content-type': 'application/cloudevents+json' };
    expect(readDeliveredEvent({ key: 'k', value: 'plain text', headers: {} })).toBeNull();
    expect(readDeliveredEvent({ key: 'k', value: '{not json', headers: structured })).toBeNull();
    expect(
      readDeliveredEvent({
        key: 'k',
        value: JSON.stringify({ specversion: '1.0', id: 'x' }),
        headers: structured,
      }),
    ).toBeNull();
    expect(
      readDeliveredEvent({
        key: 'k',
        value: '{}',
        headers: { event_id: 'x', event_type: 't', aggregate_type: 'pet', aggregate_sequence: 'minus one' },
      }),
    ).toBeNull();
  });

  test('reads headers given as Buffers, as kafkajs hands them to a consumer', () => {
    const sent = event();
    const message = createMessageEncoder('binary', '/petstore')(sent);
    const asBuffers = Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))]),
    );
    expect(
      readDeliveredEvent({
        key: Buffer.from(sent.aggregateId),
        value: Buffer.from(String(message.value)),
        headers: asBuffers,
      }),
    ).toEqual(expected(sent, 'binary'));
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { topicFor } from '../../src/outbox/topics.ts';
import { collectSubscription, graphql, wsClient } from '../support/graphql-client.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

type Metrics = {
  pendingEvents: number;
  failedEvents: number;
  processedToday: number;
  running: boolean;
  kafkaConnected: boolean;
  serviceStatus: string;
  kafkaStatus: string;
  timestamp: string;
};

const METRICS = `{ outboxMetrics { pendingEvents failedEvents processedToday running kafkaConnected serviceStatus kafkaStatus timestamp } }`;
const CREATE_PET = `mutation ($input: CreatePetInput!) { createPet(input: $input) { __typename ... on PetPayload { pet { id name price } } } }`;
const EVENT_PUBLISHED = `subscription {
  eventPublished(aggregateType: "pet") {
    cursor eventId aggregateType aggregateId aggregateSequence eventType data correlationId topic partition offset publishedAt
  }
}`;

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp?.stop();
});

async function metrics(): Promise<Metrics> {
  const response = await graphql<{ outboxMetrics: Metrics }>(testApp.graphqlUrl, METRICS);
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.outboxMetrics;
}

describe('createPet → relay → Kafka → eventPublished', () => {
  test('publishes exactly one message per event, marks it processed, and tells subscribers', async () => {
    const topic = topicFor(testApp.config.kafka.topicPrefix, 'pet');
    const collector = await collectMessages([topic]);
    const client = wsClient(testApp.wsUrl);
    const subscription = collectSubscription<{ eventPublished: Record<string, unknown> }>(
      client,
      EVENT_PUBLISHED,
    );
    try {
      const before = await metrics();
      expect(before).toMatchObject({ pendingEvents: 0, failedEvents: 0, processedToday: 0, running: true });
      await waitFor(async () => (await metrics()).kafkaConnected, { what: 'the relay to connect to Kafka' });

      // The relay must not publish while paused, so the pending count can be seen first.
      testApp.app.outbox.relay?.pause();
      const correlationId = 'e2e-correlation-1';
      const created = await graphql<{ createPet: { pet: { id: string } } }>(
        testApp.graphqlUrl,
        CREATE_PET,
        { input: { name: 'Buddy', species: 'dog', price: '1200.00' } },
        { 'x-correlation-id': correlationId },
      );
      expect(created.errors).toBeUndefined();
      expect(created.headers.get('x-correlation-id')).toBe(correlationId);
      const petId = created.data?.createPet.pet.id as string;
      // outboxMetrics reads the sampler's snapshot (the one /metrics exports), refreshed soon after a write.
      await waitFor(async () => (await metrics()).pendingEvents === 1, { what: 'pendingEvents = 1' });
      testApp.app.outbox.relay?.resume();

      const message = await waitFor(() => collector.messages.find((m) => m.key === petId), {
        what: 'the message on Kafka',
      });
      const prisma = testApp.app.services.prisma;
      const processed = await waitFor(
        () => prisma.outboxEvent.findFirst({ where: { aggregateId: petId, isProcessed: true } }),
        { what: 'the row to be marked processed' },
      );
      expect(processed).toMatchObject({ isProcessed: true, status: 'published' });
      expect(processed.processedAt).toBeInstanceOf(Date);

      // The message contract (default format: a CloudEvents structured envelope in the value).
      expect(message.topic).toBe(topic);
      expect(message.headers).toEqual({ 'content-type': 'application/cloudevents+json' });
      expect(JSON.parse(message.value ?? '')).toMatchObject({
        specversion: '1.0',
        id: processed.id,
        type: 'pet.created',
      });
      expect(message.event).toMatchObject({
        id: processed.id,
        type: 'pet.created',
        aggregateType: 'pet',
        aggregateId: petId,
        aggregateSequence: 1,
        correlationId,
        format: 'structured',
      });
      expect(message.event.data).toMatchObject({
        schemaVersion: 1,
        pet: { id: petId, name: 'Buddy', species: 'dog', price: '1200.00' },
      });
      expect(String(processed.kafkaOffset)).toBe(message.offset);
      expect(processed.kafkaPartition).toBe(message.partition);

      // The subscriber heard about it, with where it landed.
      const delivered = await waitFor(
        () => subscription.received.find((r) => r.eventPublished.aggregateId === petId),
        { what: 'eventPublished' },
      );
      expect(delivered.eventPublished).toMatchObject({
        eventId: processed.id,
        aggregateType: 'pet',
        aggregateSequence: 1,
        eventType: 'pet.created',
        correlationId,
        topic,
        partition: message.partition,
        offset: message.offset,
      });
      expect(subscription.errors).toEqual([]);

      // Exactly one message for the event, even after the relay has had time to go round again.
      await waitFor(async () => (await metrics()).processedToday === 1, { what: 'processedToday = 1' });
      const after = await metrics();
      expect(after).toMatchObject({
        pendingEvents: 0,
        failedEvents: 0,
        processedToday: 1,
        running: true,
        kafkaConnected: true,
        serviceStatus: 'running',
        kafkaStatus: 'connected',
      });
      await testApp.app.outbox.relay?.runOnce();
      await collector.caughtUp();
      expect(collector.messages.filter((m) => m.key === petId)).toHaveLength(1);
    } finally {
      subscription.stop();
      await client.dispose();
      await collector.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPetExample, processOrderExample } from '../../examples/outbox-library.ts';
import { loadConfig } from '../../src/config/env.ts';
import { topicFor } from '../../src/outbox/topics.ts';
import { createOutboxService, type OutboxService } from '../../src/outbox-service/create-outbox-service.ts';
import { collectMessages, TEST_BROKERS } from '../support/kafka-collector.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

let database: TestDatabase;
let outbox: OutboxService;
let topicPrefix: string;

beforeAll(async () => {
  database = await createTestDatabase();
  topicPrefix = randomTopicPrefix('library');
  outbox = createOutboxService({
    config: loadConfig({
      DATABASE_URL: database.url,
      KAFKA_BROKERS: TEST_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_POLLING_INTERVAL: '0.2',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    }),
    relay: { mode: 'standalone' },
  });
  await outbox.start();
});

afterAll(async () => {
  await outbox?.stop();
  await database?.drop();
});

describe("the design document's usage examples (examples/outbox-library.ts)", () => {
  test('a pet and its created event, then an order created and confirmed in one transaction, reach Kafka in order', async () => {
    const petsTopic = topicFor(topicPrefix, 'pet');
    const ordersTopic = topicFor(topicPrefix, 'order');
    const collector = await collectMessages([petsTopic, ordersTopic]);
    try {
      const { petId, eventId } = await createPetExample(outbox, 'corr_456');
      const { orderId } = await processOrderExample(outbox, petId, 'corr_789');

      const petMessages = await waitFor(
        () => {
          const found = collector.messages.filter((m) => m.key === petId);
          return found.length === 2 ? found : null;
        },
        { what: "the pet's two events on Kafka" },
      );
      const orderMessages = await waitFor(
        () => {
          const found = collector.messages.filter((m) => m.key === orderId);
          return found.length === 2 ? found : null;
        },
        { what: "the order's two events on Kafka" },
      );

      expect(petMessages.map((m) => [m.topic, m.event.type, m.event.aggregateSequence])).toEqual([
        [petsTopic, 'pet.created', 1],
        [petsTopic, 'pet.status_changed', 2],
      ]);
      expect(petMessages[0]?.event.id).toBe(eventId);
      expect(petMessages[0]?.event.correlationId).toBe('corr_456');
      expect(petMessages[0]?.event.data).toMatchObject({
        schemaVersion: 1,
        pet: { id: petId, name: 'Max', species: 'dog', price: '800.00', status: 'available' },
      });

      expect(orderMessages.map((m) => [m.topic, m.event.type, m.event.aggregateSequence])).toEqual([
        [ordersTopic, 'order.created', 1],
        [ordersTopic, 'order.confirmed', 2],
      ]);
      expect(orderMessages.every((m) => m.event.correlationId === 'corr_789')).toBe(true);
      expect(orderMessages[0]?.event.data).toMatchObject({
        order: { id: orderId, petId, status: 'pending', customerId: 'customer_123', totalPrice: '800.00' },
        pet: { id: petId, status: 'pending' },
      });
      expect(orderMessages[1]?.event.data).toMatchObject({ order: { id: orderId, status: 'confirmed' } });

      // The business rows committed with their events.
      const order = await outbox.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
      expect(order.status).toBe('confirmed');
      await waitFor(async () => (await outbox.metrics()).pendingEvents === 0, {
        what: 'metrics() to count nothing pending',
      });
    } finally {
      await collector.stop();
    }
  });
});

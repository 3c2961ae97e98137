import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { topicFor } from '../../src/outbox/topics.ts';
import { CREATE_ORDER, CREATE_PET, REGISTER_USER, type Result } from '../support/domain-app.ts';
import { exampleOrderInput, examplePetInput } from '../support/examples.ts';
import { graphql } from '../support/graphql-client.ts';
import { type CollectedMessage, collectMessages } from '../support/kafka-collector.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp?.stop();
});

async function mutate(
  query: string,
  variables: Record<string, unknown>,
  correlationId: string,
): Promise<Result> {
  const response = await graphql<Record<string, Result>>(testApp.graphqlUrl, query, variables, {
    'x-correlation-id': correlationId,
  });
  expect(response.errors).toBeUndefined();
  const [result] = Object.values(response.data ?? {});
  return result as Result;
}

/** One aggregate's messages in the order a consumer of its partition reads them. */
function messagesOf(messages: CollectedMessage[], key: string) {
  return messages
    .filter((message) => message.key === key)
    .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
}

describe("the design document's scenarios, through Kafka", () => {
  test('create a pet, create and confirm an order, register a user: every event on its topic, in order', async () => {
    const prefix = testApp.config.kafka.topicPrefix;
    const topics = {
      pet: topicFor(prefix, 'pet'),
      order: topicFor(prefix, 'order'),
      user: topicFor(prefix, 'user'),
    };
    const collector = await collectMessages(Object.values(topics));
    try {
      const pet = await mutate(
        CREATE_PET,
        {
          input: examplePetInput(),
        },
        'seed-pet',
      );
      const petId = pet.pet.id as string;
      const order = await mutate(
        CREATE_ORDER,
        {
          input: exampleOrderInput(petId),
          confirm: true,
        },
        'seed-order',
      );
      const orderId = order.order.id as string;
      await mutate(
        REGISTER_USER,
        { id: 'user_789', input: { name: 'John Doe', email: 'john@example.com', phone: '+1234567890' } },
        'seed-user',
      );

      await waitFor(
        () =>
          messagesOf(collector.messages, orderId).length === 2 &&
          messagesOf(collector.messages, petId).length === 2 &&
          messagesOf(collector.messages, 'user_789').length === 1,
        { what: 'all five events on Kafka', timeoutMs: 30_000 },
      );

      const orderMessages = messagesOf(collector.messages, orderId);
      expect(orderMessages.map((message) => message.topic)).toEqual([topics.order, topics.order]);
      expect(orderMessages.map((message) => message.event.type)).toEqual([
        'order.created',
        'order.confirmed',
      ]);
      expect(orderMessages.map((message) => String(message.event.aggregateSequence))).toEqual(['1', '2']);
      expect(orderMessages.map((message) => message.event.correlationId)).toEqual([
        'seed-order',
        'seed-order',
      ]);
      const [created, confirmed] = orderMessages.map(
        (message) => message.event.data as Record<string, unknown>,
      );
      expect(created).toMatchObject({
        schemaVersion: 1,
        order: { id: orderId, customerId: 'customer_123', status: 'pending', totalPrice: '1200.00' },
        pet: { id: petId, status: 'pending', price: '1200.00' },
      });
      expect(confirmed).toMatchObject({ schemaVersion: 1, order: { id: orderId, status: 'confirmed' } });

      const petMessages = messagesOf(collector.messages, petId);
      expect(
        petMessages.map((message) => [message.event.type, String(message.event.aggregateSequence)]),
      ).toEqual([
        ['pet.created', '1'],
        ['pet.status_changed', '2'],
      ]);
      expect(petMessages.map((message) => message.event.correlationId)).toEqual(['seed-pet', 'seed-order']);

      const [userMessage] = messagesOf(collector.messages, 'user_789');
      expect(userMessage).toMatchObject({
        topic: topics.user,
        event: { type: 'user.registered', aggregateSequence: 1, correlationId: 'seed-user' },
      });

      // The message carries the outbox row's payload (as the value, or as a structured envelope's data).
      const rows = await testApp.app.services.prisma.outboxEvent.findMany({
        where: { aggregateId: { in: [petId, orderId, 'user_789'] } },
      });
      for (const message of [...orderMessages, ...petMessages, userMessage]) {
        const row = rows.find((candidate) => candidate.id === message?.event.id);
        expect(message?.event.data).toEqual(JSON.parse(row?.eventData ?? 'null'));
      }
    } finally {
      await collector.stop();
    }
  });
});

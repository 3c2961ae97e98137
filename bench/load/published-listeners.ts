import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { Kafka, logLevel } from 'kafkajs';
import WebSocket from 'ws';
import { readDeliveredEvent } from '../../src/inbox/read-delivered-event.ts';
import { nowMs } from './steady-writer.ts';

/**
 * An independent Kafka consumer (own group, from the beginning) that notes, per event id, the
 * timestamp the broker gave the message. On a topic with message.timestamp.type=LogAppendTime that
 * is when the broker appended it, i.e. acknowledged it (one broker, acks=all).
 */
export async function listenToKafka(brokers: readonly string[], topics: readonly string[]) {
  const kafka = new Kafka({
    clientId: 'petstore-bench-consumer',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `petstore-bench-${randomBytes(4).toString('hex')}`,
    maxWaitTimeInMs: 50,
  });
  const brokerTimestamps = new Map<string, number>();
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const eventId = readDeliveredEvent(message)?.id;
      if (eventId && !brokerTimestamps.has(eventId)) brokerTimestamps.set(eventId, Number(message.timestamp));
    },
  });
  return { brokerTimestamps, stop: () => consumer.disconnect() };
}

export const EVENT_PUBLISHED = `subscription Published($aggregateType: String) {
  eventPublished(aggregateType: $aggregateType) { eventId cursor createdAt }
}`;

/** One graphql-ws subscriber to eventPublished noting when each event reached it. */
export function listenToSubscription(wsUrl: string) {
  const deliveredAt = new Map<string, number>();
  const errors: string[] = [];
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const unsubscribe = client.subscribe<{ eventPublished: { eventId: string } }>(
    { query: EVENT_PUBLISHED, variables: { aggregateType: 'pet' } },
    {
      next: (result) => {
        const eventId = result.data?.eventPublished.eventId;
        if (eventId && !deliveredAt.has(eventId)) deliveredAt.set(eventId, nowMs());
        if (result.errors) errors.push(JSON.stringify(result.errors));
      },
      error: (error) => errors.push(error instanceof Error ? error.message : JSON.stringify(error)),
      complete: () => {},
    },
  );
  return {
    deliveredAt,
    errors,
    async stop() {
      unsubscribe();
      await client.dispose();
    },
  };
}

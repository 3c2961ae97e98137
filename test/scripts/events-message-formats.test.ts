import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { describe, expect, test } from 'vitest';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import { createMessageEncoder, MESSAGE_FORMATS } from '../../src/outbox/relay/kafka-message.ts';
import { allTopics, topicFor } from '../../src/outbox/topics.ts';
import { TEST_BROKERS } from '../support/kafka-collector.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { runNpmScript } from './run-npm-script.ts';

/**
 * `npm run events` against a real broker holding one event in each layout the relay can write
 * (KAFKA_MESSAGE_FORMAT): CloudEvents structured mode, CloudEvents binary mode, and the compact header set.
 * The messages are made by the relay's own encoder (src/outbox/relay/kafka-message.ts).
 */
describe('npm run events reads every message layout', () => {
  test('structured, binary and compact messages print the same fields', async () => {
    const prefix = randomTopicPrefix('events-formats');
    const petId = randomUUID();
    const data = { schemaVersion: 1, pet: { id: petId, name: 'Formats', price: '1.00' } };
    const types = ['pet.created', 'pet.updated', 'pet.price_changed'];
    const events: ClaimedEvent[] = MESSAGE_FORMATS.map((_format, index) => ({
      id: randomUUID(),
      aggregateType: 'pet',
      aggregateId: petId,
      aggregateSequence: index + 1,
      eventType: types[index] as string,
      eventData: JSON.stringify(data),
      correlationId: `formats-${index + 1}`,
      topic: topicFor(prefix, 'pet'),
      createdAt: new Date(),
      retryCount: 0,
    }));
    // One event in each layout, encoded by the relay's own encoder.
    const messages: Message[] = MESSAGE_FORMATS.map((format, index) =>
      createMessageEncoder(format, '/petstore-outbox')(events[index] as ClaimedEvent),
    );

    const kafka = new Kafka({
      clientId: 'test-events-formats',
      brokers: TEST_BROKERS,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: allTopics(prefix).map((topic) => ({ topic, numPartitions: 3 })),
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topicFor(prefix, 'pet'), messages });
    await producer.disconnect();

    const result = await runNpmScript(
      'events',
      ['--from-beginning', '--aggregate', `pet/${petId}`, '--compact', '--max', '3', '--idle-exit', '60000'],
      { env: { KAFKA_BROKERS: TEST_BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix } },
    );
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, index) => {
      const event = events[index] as ClaimedEvent;
      expect(line).toMatch(
        new RegExp(
          `^${prefix}\\.pets\\[\\d\\]@${index}  ${types[index]}  seq=${index + 1}  key=${petId}  ` +
            `correlation=${event.correlationId}  id=${event.id}  `,
        ),
      );
      expect(JSON.parse(line.slice(line.indexOf('  {') + 2))).toEqual(data);
    });
  });
});

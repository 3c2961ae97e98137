import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { describe, expect, test } from 'vitest';
import { allTopics, topicFor } from '../../src/outbox/topics.ts';
import { TEST_BROKERS } from '../support/kafka-collector.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { runNpmScript } from './run-npm-script.ts';

/**
 * `npm run events` against a real broker holding one event in each layout the relay can write
 * (KAFKA_MESSAGE_FORMAT): CloudEvents structured mode, CloudEvents binary mode, and the compact header set.
 * The messages are written here byte for byte as the relay lays them out.
 */
describe('npm run events reads every message layout', () => {
  test('structured, binary and compact messages print the same fields', async () => {
    const prefix = randomTopicPrefix('events-formats');
    const petId = randomUUID();
    const data = { schemaVersion: 1, pet: { id: petId, name: 'Formats', price: '1.00' } };
    const events = [1, 2, 3].map((sequence) => ({
      id: randomUUID(),
      sequence,
      correlationId: `formats-${sequence}`,
      createdAt: new Date().toISOString(),
    }));
    const [structured, binary, compact] = events as [
      (typeof events)[0],
      (typeof events)[0],
      (typeof events)[0],
    ];
    const messages: Message[] = [
      {
        key: petId,
        headers: { 'content-type': 'application/cloudevents+json' },
        value:
          `{"specversion":"1.0","id":"${structured.id}","source":"/petstore-outbox","type":"pet.created",` +
          `"time":"${structured.createdAt}","subject":"pet/${petId}","datacontenttype":"application/json",` +
          `"aggregatetype":"pet","aggregateid":"${petId}","aggregatesequence":1,` +
          `"correlationid":"${structured.correlationId}","data":${JSON.stringify(data)}}`,
      },
      {
        key: petId,
        value: JSON.stringify(data),
        headers: {
          event_id: binary.id,
          event_type: 'pet.updated',
          aggregate_type: 'pet',
          aggregate_id: petId,
          aggregate_sequence: '2',
          'content-type': 'application/json',
          ce_id: binary.id,
          ce_type: 'pet.updated',
          ce_source: '/petstore-outbox',
          ce_specversion: '1.0',
          ce_time: binary.createdAt,
          ce_subject: `pet/${petId}`,
          correlation_id: binary.correlationId,
        },
      },
      {
        key: petId,
        value: JSON.stringify(data),
        headers: {
          event_id: compact.id,
          event_type: 'pet.price_changed',
          aggregate_type: 'pet',
          aggregate_sequence: '3',
          correlation_id: compact.correlationId,
        },
      },
    ];

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
    const expectedTypes = ['pet.created', 'pet.updated', 'pet.price_changed'];
    lines.forEach((line, index) => {
      const event = events[index] as (typeof events)[0];
      expect(line).toMatch(
        new RegExp(
          `^${prefix}\\.pets\\[\\d\\]@${index}  ${expectedTypes[index]}  seq=${index + 1}  key=${petId}  ` +
            `correlation=${event.correlationId}  id=${event.id}  `,
        ),
      );
      expect(JSON.parse(line.slice(line.indexOf('  {') + 2))).toEqual(data);
    });
  });
});

import pg from 'pg';
import { afterAll, describe, expect } from 'vitest';
import { freePort } from '../../scripts/lib/free-port.ts';
import { type AggregateType, aggregateTopicNames } from '../../src/outbox/topics.ts';
import { test } from '../support/fixtures.ts';
import { TEST_BROKERS } from '../support/kafka-collector.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { runNpmScript } from './run-npm-script.ts';

/**
 * A newcomer's path, end to end and as typed: the service runs, `npm run demo` writes the design
 * document's scenarios through the API, and `npm run events` prints what landed on Kafka, which must be
 * exactly what the outbox table says it published.
 */

type OutboxRow = {
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  aggregate_sequence: number;
  correlation_id: string | null;
  event_data: string;
  status: string;
  kafka_partition: number | null;
  kafka_offset: string | null;
};

type PrintedEvent = {
  topic: string;
  partition: number;
  offset: string;
  eventType: string;
  sequence: number;
  key: string;
  correlationId: string;
  eventId: string;
  value: unknown;
};

const HEADER = /^(\S+)\[(\d+)\]@(\d+) {2}(\S+) {2}seq=(\d+) {2}key=(\S+) {2}correlation=(\S+) {2}id=(\S+)$/;

/** Parses `npm run events` output: a header line per message, then its value indented by two spaces. */
function parsePrinted(stdout: string): PrintedEvent[] {
  const events: PrintedEvent[] = [];
  let current: { header: RegExpExecArray; value: string[] } | null = null;
  const flush = () => {
    if (!current) return;
    const [, topic, partition, offset, eventType, sequence, key, correlationId, eventId] = current.header;
    events.push({
      topic: topic as string,
      partition: Number(partition),
      offset: offset as string,
      eventType: eventType as string,
      sequence: Number(sequence),
      key: key as string,
      correlationId: correlationId as string,
      eventId: eventId as string,
      value: JSON.parse(current.value.join('\n')),
    });
  };
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('  ') && current) {
      current.value.push(line.slice(2));
      continue;
    }
    const header = HEADER.exec(line);
    if (!header) throw new Error(`unexpected line from npm run events: ${JSON.stringify(line)}`);
    flush();
    current = { header, value: [] };
  }
  flush();
  return events;
}

let database: TestDatabase;
let service: ServiceProcess;
let graphqlUrl: string;
let db: pg.Client;
const topicPrefix = randomTopicPrefix();
const kafkaEnv = { KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_BROKERS: TEST_BROKERS.join(',') };

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  service = startServiceProcess({
    DATABASE_URL: database.url,
    PORT: '0',
    OUTBOX_POLLING_INTERVAL: '0.2',
    ...kafkaEnv,
  });
  graphqlUrl = await service.ready();
});

afterAll(async () => {
  if (service?.alive()) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await db?.end();
});

async function outboxRows(): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `SELECT id::text, aggregate_type, aggregate_id, event_type, aggregate_sequence, correlation_id,
            event_data, status, kafka_partition, kafka_offset::text
       FROM outbox_events ORDER BY published_seq`,
  );
  return rows;
}

describe('npm run demo, then npm run events', () => {
  let rows: OutboxRow[];
  let firstRunOutput: string;

  test('the demo runs the scenarios through the API, twice without failing', async () => {
    const first = await runNpmScript('demo', ['--url', graphqlUrl, '--wait', '60000']);
    expect(first.code, first.stderr).toBe(0);
    firstRunOutput = first.stdout;
    for (const step of [
      'createPet',
      'createOrder',
      'confirmOrder',
      'deliverOrder',
      'registerUser',
      'cancelOrder',
    ]) {
      expect(first.stdout).toContain(step);
    }
    expect(first.stdout).toMatch(/all 13 published to Kafka/);

    const again = await runNpmScript('demo', ['--url', graphqlUrl, '--wait', '60000']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/all 13 published to Kafka/);

    rows = await waitFor(
      async () => {
        const all = await outboxRows();
        return all.length === 26 && all.every((row) => row.status === 'published') ? all : undefined;
      },
      { timeoutMs: 60_000, what: 'the 26 demo events to be published' },
    );
    const types = rows.map((row) => row.event_type);
    expect(types.filter((type) => type === 'pet.created')).toHaveLength(6);
    expect(types.filter((type) => type === 'order.delivered')).toHaveLength(2);
    expect(types.filter((type) => type === 'order.cancelled')).toHaveLength(2);
    expect(types.filter((type) => type === 'user.registered')).toHaveLength(2);
  });

  test('events prints every published event exactly as the outbox recorded it', async () => {
    const result = await runNpmScript(
      'events',
      ['--from-beginning', '--max', String(rows.length), '--idle-exit', '60000'],
      { env: kafkaEnv },
    );
    expect(result.code, result.stderr).toBe(0);
    const printed = parsePrinted(result.stdout);
    expect(printed).toHaveLength(rows.length);
    const byId = new Map(printed.map((event) => [event.eventId, event]));
    for (const row of rows) {
      const event = byId.get(row.id);
      expect(event, `event ${row.id} (${row.event_type}) printed`).toBeDefined();
      expect(event).toEqual({
        topic: `${topicPrefix}.${aggregateTopicNames[row.aggregate_type as AggregateType]}`,
        partition: row.kafka_partition,
        offset: row.kafka_offset,
        eventType: row.event_type,
        sequence: row.aggregate_sequence,
        key: row.aggregate_id,
        correlationId: row.correlation_id,
        eventId: row.id,
        value: JSON.parse(row.event_data),
      });
    }
    // The demo names its requests: every event carries the correlation id of the step that wrote it.
    expect(printed.every((event) => /^demo-\w+-[\w-]+$/.test(event.correlationId))).toBe(true);
  });

  test('--type and --aggregate filter, and one aggregate reads in sequence order', async () => {
    const cancelled = await runNpmScript(
      'events',
      ['--from-beginning', '--type', 'order.cancelled', '--max', '2', '--idle-exit', '60000'],
      { env: kafkaEnv },
    );
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const cancelledEvents = parsePrinted(cancelled.stdout);
    expect(cancelledEvents.map((event) => event.eventType)).toEqual(['order.cancelled', 'order.cancelled']);
    const expectedCancelled = rows.filter((row) => row.event_type === 'order.cancelled').map((row) => row.id);
    expect(cancelledEvents.map((event) => event.eventId).sort()).toEqual(expectedCancelled.sort());

    const orderId = /deliverOrder {2}(\S+) →/.exec(firstRunOutput)?.[1];
    expect(orderId).toBeDefined();
    const oneOrder = await runNpmScript(
      'events',
      ['--from-beginning', '--aggregate', `order/${orderId}`, '--max', '3', '--idle-exit', '60000'],
      { env: kafkaEnv },
    );
    expect(oneOrder.code, oneOrder.stderr).toBe(0);
    expect(parsePrinted(oneOrder.stdout).map((event) => [event.eventType, event.sequence])).toEqual([
      ['order.created', 1],
      ['order.confirmed', 2],
      ['order.delivered', 3],
    ]);
  });
});

describe('when nothing answers', () => {
  test('demo and events exit 1 with one line saying what to start', async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const demo = await runNpmScript('demo', ['--url', `http://${nowhere}`]);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain(`nothing answers at http://${nowhere}/graphql`);
    expect(demo.stderr).toContain('npm start');

    const events = await runNpmScript('events', ['--brokers', nowhere]);
    expect(events.code).toBe(1);
    expect(events.stderr).toContain('npm run kafka:start');
  });

  test('events refuses bad options with its usage, exit 2', async () => {
    const result = await runNpmScript('events', ['--max', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max expects a positive whole number');
    expect(result.stderr).toContain('usage: npm run events');
  });
});

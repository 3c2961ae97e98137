import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { topicFor } from '../../src/outbox/topics.ts';
import { collectSubscription, graphql, wsClient } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { enqueueEvents, sseSubscribe } from './live-helpers.ts';

type TopicCounts = { topic: string; pending: number; failed: number; processedToday: number };
type Metrics = {
  pendingEvents: number;
  failedEvents: number;
  processedToday: number;
  running: boolean;
  kafkaConnected: boolean;
  serviceStatus: string;
  kafkaStatus: string;
  circuitState: string;
  paused: boolean;
  processingRate: number;
  retryRate: number | null;
  oldestPendingAgeSeconds: number | null;
  commitToPublishP50Seconds: number | null;
  commitToPublishP99Seconds: number | null;
  recentWindowSize: number;
  parkedAggregates: number;
  parkedEvents: number;
  relayInstancesAlive: number | null;
  topics: TopicCounts[];
  sampledAt: string | null;
  timestamp: string;
};

const FIELDS = `pendingEvents failedEvents processedToday running kafkaConnected serviceStatus kafkaStatus
  circuitState paused processingRate retryRate oldestPendingAgeSeconds commitToPublishP50Seconds
  commitToPublishP99Seconds recentWindowSize parkedAggregates parkedEvents relayInstancesAlive
  topics { topic pending failed processedToday } sampledAt timestamp`;

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ OUTBOX_METRICS_INTERVAL: '0.5' });
});

afterAll(async () => {
  await testApp?.stop();
});

async function metricsOf(graphqlUrl: string): Promise<Metrics> {
  const response = await graphql<{ outboxMetrics: Metrics }>(
    graphqlUrl,
    `query OutboxStatus { outboxMetrics { ${FIELDS} } }`,
  );
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.outboxMetrics;
}

const metrics = () => metricsOf(testApp.graphqlUrl);

/** Events published since the last UTC midnight, as the table says, the way the sampler counts them. */
async function publishedTodayInTable(): Promise<number> {
  const [row] = await testApp.app.services.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM outbox_events
    WHERE status = 'published' AND processed_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  return row?.n ?? 0;
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The value of one series in Prometheus text format, e.g. sample(text, 'x_total{topic="a"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('outboxMetrics and /metrics read the same numbers', () => {
  test('pending, per-topic, oldest age while paused; processed, rate and latency once published', async () => {
    const prefix = testApp.config.kafka.topicPrefix;
    const petTopic = topicFor(prefix, 'pet');
    const orderTopic = topicFor(prefix, 'order');
    await waitFor(async () => (await metrics()).kafkaConnected, { what: 'the relay to connect' });
    const before = await metrics();

    testApp.app.outbox.relay?.pause();
    await enqueueEvents(testApp.app.services.prisma, { count: 2, topicPrefix: prefix });
    await enqueueEvents(testApp.app.services.prisma, {
      count: 1,
      topicPrefix: prefix,
      aggregateType: 'order',
      eventType: 'order.created',
    });

    // Written past the service, so announced as any other writer would, after the commit.
    testApp.app.outbox.announcePending();
    // The gauges follow the outbox within a reading (the notification triggers one), not per request.
    const pending = await waitFor(
      async () => {
        const current = await metrics();
        return current.pendingEvents === 3 ? current : null;
      },
      { what: 'pendingEvents = 3' },
    );
    expect(pending.paused).toBe(true);
    expect(pending.oldestPendingAgeSeconds).not.toBeNull();
    expect(pending.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(pending.topics).toEqual(
      expect.arrayContaining([
        { topic: petTopic, pending: 2, failed: 0, processedToday: expect.any(Number) },
        { topic: orderTopic, pending: 1, failed: 0, processedToday: 0 },
      ]),
    );
    expect(pending.sampledAt).not.toBeNull();
    const whilePending = await scrape(testApp.url);
    expect(sample(whilePending, 'petstore_outbox_pending_events')).toBe(3);
    expect(sample(whilePending, `petstore_outbox_topic_events{topic="${orderTopic}",status="pending"}`)).toBe(
      1,
    );
    expect(sample(whilePending, 'petstore_outbox_relay_paused')).toBe(1);

    testApp.app.outbox.relay?.resume();
    // processedToday is compared with the table itself, not with a count taken earlier: a UTC midnight
    // between the two readings resets it, and a wait for "earlier + 3" would then never end.
    const done = await waitFor(
      async () => {
        const current = await metrics();
        return current.pendingEvents === 0 &&
          current.processedToday === (await publishedTodayInTable()) &&
          current.topics.some((t) => t.topic === orderTopic && t.processedToday === 1)
          ? current
          : null;
      },
      { what: 'the three events to be counted as processed' },
    );
    expect(done).toMatchObject({
      failedEvents: 0,
      running: true,
      kafkaConnected: true,
      serviceStatus: 'running',
      kafkaStatus: 'connected',
      circuitState: 'closed',
      paused: false,
      oldestPendingAgeSeconds: null,
      retryRate: 0,
      parkedAggregates: 0,
      parkedEvents: 0,
    });
    expect(done.processingRate).toBeGreaterThan(0);
    expect(done.recentWindowSize).toBe(before.recentWindowSize + 3);
    expect(done.commitToPublishP50Seconds).toBeGreaterThanOrEqual(0);
    expect(done.commitToPublishP99Seconds).toBeGreaterThanOrEqual(done.commitToPublishP50Seconds ?? 0);
    expect(done.relayInstancesAlive).toBeGreaterThanOrEqual(1);

    const text = await scrape(testApp.url);
    // The seed's four names, then the rest.
    expect(text).toContain('# TYPE petstore_outbox_pending_events gauge');
    expect(text).toContain('# TYPE petstore_outbox_processed_total counter');
    expect(text).toContain('# TYPE petstore_outbox_errors_total counter');
    expect(text).toContain('# TYPE petstore_outbox_processing_duration_seconds histogram');
    expect(sample(text, 'petstore_outbox_pending_events')).toBe(0);
    expect(sample(text, 'petstore_outbox_processed_today')).toBe(done.processedToday);
    expect(sample(text, `petstore_outbox_processed_total{topic="${orderTopic}"}`)).toBe(1);
    expect(sample(text, 'petstore_outbox_processing_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, `petstore_outbox_commit_to_publish_seconds_count{topic="${orderTopic}"}`)).toBe(1);
    expect(sample(text, 'petstore_outbox_circuit_state')).toBe(0);
    expect(sample(text, 'petstore_outbox_kafka_connected')).toBe(1);
    expect(sample(text, 'petstore_outbox_relay_instances_alive')).toBe(done.relayInstancesAlive);
    expect(sample(text, 'petstore_outbox_oldest_pending_age_seconds')).toBe(0);
    for (const name of [
      'petstore_outbox_failed_events',
      'petstore_outbox_retries_total',
      'petstore_outbox_failed_total',
      'petstore_outbox_parked_aggregates',
      'petstore_outbox_processing_rate_per_second',
      'petstore_outbox_recent_commit_to_publish_seconds',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    // GraphQL request durations by operation: the `OutboxStatus` queries above were measured.
    expect(
      sample(
        text,
        'petstore_graphql_operation_duration_seconds_count{operation_name="OutboxStatus",operation_type="query",outcome="ok"}',
      ),
    ).toBeGreaterThan(0);
  });

  test('dead-lettered events park their aggregate; both are counted', async () => {
    const prefix = testApp.config.kafka.topicPrefix;
    const prisma = testApp.app.services.prisma;
    const aggregateId = randomUUID();
    const userTopic = topicFor(prefix, 'user');
    testApp.app.outbox.relay?.pause();
    const before = await metrics();
    try {
      const [first, second] = await enqueueEvents(prisma, {
        count: 2,
        topicPrefix: prefix,
        aggregateType: 'user',
        eventType: 'user.registered',
        aggregateId: () => aggregateId,
      });
      // What the relay writes when an event exhausts OUTBOX_MAX_RETRIES (settle-failures.ts).
      await prisma.$executeRaw`UPDATE outbox_events SET status = 'failed', retry_count = 5,
        error_message = 'test: refused' WHERE id = ${first}::uuid`;
      const parked = await waitFor(
        async () => {
          const current = await metrics();
          return current.failedEvents === before.failedEvents + 1 &&
            current.parkedEvents === before.parkedEvents + 1
            ? current
            : null;
        },
        { what: 'the dead letter and the event parked behind it' },
      );
      expect(parked.parkedAggregates).toBe(before.parkedAggregates + 1);
      expect(parked.topics).toContainEqual({
        topic: userTopic,
        pending: 1,
        failed: 1,
        processedToday: 0,
      });
      const text = await scrape(testApp.url);
      expect(sample(text, 'petstore_outbox_failed_events')).toBe(parked.failedEvents);
      expect(sample(text, 'petstore_outbox_parked_aggregates')).toBe(parked.parkedAggregates);
      expect(sample(text, 'petstore_outbox_parked_events')).toBe(parked.parkedEvents);
      expect(sample(text, `petstore_outbox_topic_events{topic="${userTopic}",status="failed"}`)).toBe(1);
      await prisma.$executeRaw`DELETE FROM outbox_events WHERE id IN (${first}::uuid, ${second}::uuid)`;
      await waitFor(async () => (await metrics()).failedEvents === before.failedEvents, {
        what: 'the cleanup to be seen',
      });
    } finally {
      testApp.app.outbox.relay?.resume();
    }
  });

  test('a server started later counts today from the table, not from its own uptime', async () => {
    const database = await createTestDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const topic = 'history.orders';
    // Published rows as relays leave them (numbered, with the marking transaction), in the order of processed_at: five yesterday,
    // four earlier today, three within the last minute.
    const insert = (count: number, processedAt: string) =>
      admin.query(
        `INSERT INTO outbox_events (id, aggregate_id, aggregate_type, event_type, event_data, topic,
           aggregate_sequence, status, is_processed, created_at, processed_at, published_seq, published_xid,
           kafka_partition, kafka_offset)
         SELECT gen_random_uuid(), 'history-' || gen_random_uuid(), 'order', 'order.created', '{}', $1, 1,
                'published', true, ${processedAt} - interval '1 second', ${processedAt} + n * interval '1 millisecond',
                nextval('outbox_events_published_seq'), pg_current_xact_id()::text::bigint, 0, n
         FROM generate_series(1, $2) AS n`,
        [topic, count],
      );
    const midnight = "(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')";
    await insert(5, `${midnight} - interval '1 hour'`);
    await insert(4, `greatest(${midnight}, now() - interval '10 minutes')`);
    await insert(3, `greatest(${midnight}, now() - interval '10 seconds')`);
    // The feed and the counts take only marks older than every transaction still running on the
    // server (src/outbox/read-published.ts); another database's long transaction would hold these
    // rows back, and they would be counted as published at the first reading after it ends.
    await waitFor(
      async () => {
        const { rows } = await admin.query<{ settled: boolean }>(
          'SELECT max(published_xid) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS settled FROM outbox_events',
        );
        return rows[0]?.settled === true;
      },
      { timeoutMs: 60_000, what: 'the inserted marks to settle' },
    );
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      OUTBOX_RELAY_ENABLED: 'false',
      DATABASE_URL: database.url,
    });
    const later = buildApp({ config, logger: createLogger(config) });
    const { url } = await later.start();
    try {
      // Seven of the rows are from today; compared with the table's own count so that a UTC midnight
      // during the test moves both numbers alike instead of failing it.
      const seen = await waitFor(
        async () => {
          const current = await metricsOf(`${url}/graphql`);
          const { rows } = await admin.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM outbox_events WHERE processed_at >= ${midnight}`,
          );
          return current.processedToday === rows[0]?.n ? current : null;
        },
        { what: 'processedToday to match the rows published since midnight' },
      );
      expect(seen.topics).toEqual([{ topic, pending: 0, failed: 0, processedToday: seen.processedToday }]);
      // The minute before start-up counts towards the rate: 3 events / 60 s at the first reading.
      expect(seen.processingRate).toBeGreaterThan(0);
      expect(seen.processingRate).toBeLessThanOrEqual(3 / 60);
      // No relay anywhere: nothing heartbeats in this database.
      expect(seen).toMatchObject({ running: false, relayInstancesAlive: 0, serviceStatus: 'stopped' });
      expect(sample(await scrape(url), 'petstore_outbox_circuit_state')).toBeNaN();

      // From then on the count grows by what is newly published, read incrementally.
      await insert(2, 'now()');
      await waitFor(async () => (await metricsOf(`${url}/graphql`)).processedToday === 9, {
        what: 'the two new publications to be counted',
      });
    } finally {
      await later.stop();
      await admin.end();
      await database.drop();
    }
  });
});

describe('outboxMetricsUpdated', () => {
  const SUBSCRIPTION = 'subscription { outboxMetricsUpdated { paused pendingEvents sampledAt timestamp } }';
  type Update = { outboxMetricsUpdated: { paused: boolean; pendingEvents: number; timestamp: string } };

  test('pushes every reading and at once on a pause and a resume (graphql-ws)', async () => {
    const client = wsClient(testApp.wsUrl);
    const subscription = collectSubscription<Update>(client, SUBSCRIPTION);
    try {
      await waitFor(() => subscription.received.length >= 1, { what: 'the first push' });
      // Periodic pushes (OUTBOX_METRICS_INTERVAL = 0.5 s here) without any change.
      await waitFor(() => subscription.received.length >= 3, { what: 'periodic pushes' });
      const timestamps = subscription.received.map((update) => update.outboxMetricsUpdated.timestamp);
      expect(new Set(timestamps).size).toBe(timestamps.length);

      testApp.app.outbox.relay?.pause();
      await waitFor(() => subscription.received.at(-1)?.outboxMetricsUpdated.paused === true, {
        what: 'a push saying paused',
      });
      testApp.app.outbox.relay?.resume();
      await waitFor(() => subscription.received.at(-1)?.outboxMetricsUpdated.paused === false, {
        what: 'a push saying resumed',
      });
      expect(subscription.errors).toEqual([]);
    } finally {
      testApp.app.outbox.relay?.resume();
      subscription.stop();
      await client.dispose();
    }
  });

  test('works over SSE too, and counts its subscribers in /metrics', async () => {
    const subscription = sseSubscribe<Update>(
      testApp.graphqlUrl,
      'subscription Watch { outboxMetricsUpdated { pendingEvents timestamp } }',
    );
    try {
      await waitFor(() => subscription.received.length >= 2, { what: 'two pushes over SSE' });
      const text = await scrape(testApp.url);
      expect(sample(text, 'petstore_graphql_subscriptions_active{operation_name="Watch"}')).toBe(1);
    } finally {
      subscription.stop();
    }
    expect(subscription.errors).toEqual([]);
    await waitFor(
      async () =>
        sample(await scrape(testApp.url), 'petstore_graphql_subscriptions_active{operation_name="Watch"}') ===
        0,
      { what: 'the closed subscription to be counted down' },
    );
  });
});

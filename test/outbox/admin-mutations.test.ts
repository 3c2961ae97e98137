/**
 * The admin mutations through the real GraphQL API: pauseRelay/resumeRelay act on every
 * relay instance (the server's own, another in this process, a standalone child process), and
 * replayFailedEvents replays exactly the failed events a filter matches, each followed by the
 * events parked behind it, in order.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allTopics, topicFor } from '../../src/outbox/topics.ts';
import { ADMIN_HEADERS } from '../support/admin.ts';
import { graphql } from '../support/graphql-client.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { randomTopicPrefix, startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  type ChildRelay,
  enqueueEvents,
  type InProcessRelay,
  outOfOrder,
  petEvents,
  spawnRelay,
  startInProcessRelay,
} from './relay-harness.ts';

const PAUSE = `mutation ($reason: String) {
  pauseRelay(reason: $reason) { paused pausedAt pausedBy reason }
}`;
const RESUME = `mutation { resumeRelay { paused pausedBy reason } }`;
const CONTROL = `{ relayControl { paused pausedBy reason } }`;
const REPLAY_MATCHING = `mutation ($filter: FailedEventFilter, $dryRun: Boolean!) {
  replayFailedEvents(filter: $filter, dryRun: $dryRun) { dryRun matched replayed }
}`;

const topicPrefix = randomTopicPrefix('admin');
let testApp: TestApp;
let other: InProcessRelay | undefined;
let child: ChildRelay | undefined;

beforeAll(async () => {
  testApp = await startTestApp({ KAFKA_TOPIC_PREFIX: topicPrefix, OUTBOX_HEARTBEAT_INTERVAL: '0.3' });
});

afterAll(async () => {
  await child?.stop();
  await other?.stop();
  await testApp?.stop();
});

async function call<T>(
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await graphql<Record<string, T>>(testApp.graphqlUrl, query, variables, {
    ...ADMIN_HEADERS,
    ...headers,
  });
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return Object.values(response.data)[0] as T;
}

async function count(condition: string, params: unknown[] = []): Promise<number> {
  const rows = await testApp.app.services.prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM outbox_events WHERE ${condition}`,
    ...params,
  );
  return rows[0]?.n ?? 0;
}

describe('pauseRelay / resumeRelay', () => {
  test('stop and restart every relay instance, in every process', async () => {
    const collector = await collectMessages(allTopics(topicPrefix));
    const env = {
      DATABASE_URL: testApp.database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_HEARTBEAT_INTERVAL: '0.3',
    };
    other = startInProcessRelay(env);
    await other.started;
    child = spawnRelay(env);
    const childId = await child.ready;
    try {
      const paused = await call<{ paused: boolean; pausedBy: string; reason: string; pausedAt: string }>(
        PAUSE,
        { reason: 'broker maintenance' },
        { 'x-correlation-id': 'pause-for-maintenance' },
      );
      // The author comes from the credential (and the request's correlation id), not from input.
      expect(paused).toMatchObject({
        paused: true,
        pausedBy: 'admin (correlation id pause-for-maintenance)',
        reason: 'broker maintenance',
      });
      expect(Date.parse(paused.pausedAt)).not.toBeNaN();
      expect(await call(CONTROL)).toEqual({
        paused: true,
        pausedBy: 'admin (correlation id pause-for-maintenance)',
        reason: 'broker maintenance',
      });
      await waitFor(
        () => testApp.app.outbox.relay?.status().pausedGlobally && other?.relay.status().pausedGlobally,
        { what: 'the in-process relays to hear of the pause' },
      );
      expect(testApp.app.outbox.relay?.status().paused).toBe(true);

      await enqueueEvents(testApp.app.services, topicPrefix, petEvents(30, 3));
      // A claim attempted now claims nothing...
      expect(await other.relay.runOnce()).toBe(0);
      // ...and while the child heartbeats twice (it polls more often than that), nothing is claimed or sent.
      const [before] = await heartbeatOf(childId);
      await waitFor(
        async () => {
          const [now] = await heartbeatOf(childId);
          return now && before && now.getTime() - before.getTime() >= 600;
        },
        { what: 'two heartbeats of the child relay' },
      );
      expect(await count("locked_by IS NOT NULL OR status <> 'pending'")).toBe(0);
      await collector.caughtUp();
      expect(collector.messages).toEqual([]);

      expect(await call(RESUME)).toEqual({
        paused: false,
        pausedBy: 'admin (correlation id pause-for-maintenance)',
        reason: 'broker maintenance',
      });
      await waitFor(() => collector.messages.length === 30, {
        what: 'the events published after the resume',
      });
      expect(outOfOrder(collector.messages)).toEqual([]);
      await waitFor(() => !testApp.app.outbox.relay?.status().paused, {
        what: 'the server relay to hear of the resume',
      });
    } finally {
      await collector.stop();
    }
  });
});

async function heartbeatOf(relayId: string): Promise<Date[]> {
  const rows = await testApp.app.services.prisma.$queryRawUnsafe<{ heartbeat_at: Date }[]>(
    'SELECT heartbeat_at FROM outbox_relay_instances WHERE relay_id = $1',
    relayId,
  );
  return rows.map((row) => row.heartbeat_at);
}

describe('replayFailedEvents with a filter', () => {
  test('replays exactly the matching dead letters, each before the events parked behind it', async () => {
    const topic = topicFor(topicPrefix, 'pet');
    const collector = await collectMessages([topic]);
    // The topic also holds the first test's events (random keys that may start with "pet-f" too):
    // look at this test's aggregates only.
    const ownKeys = new Set(['pet-f1', 'pet-f2', 'pet-f3']);
    const seen = () => collector.messages.filter((m) => m.key !== null && ownKeys.has(m.key));
    try {
      // Dead letters with parked successors, as the relay leaves them (seeded directly).
      const seed = async (aggregateId: string, eventType: string, error: string, failedDaysAgo: number) => {
        await testApp.app.services.prisma.$executeRawUnsafe(
          `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                                      status, retry_count, error_message, next_attempt_at)
           SELECT $1, 'pet', CASE WHEN n = 1 THEN $2 ELSE 'pet.parked' END, '{}', $3, n,
                  CASE WHEN n = 1 THEN 'failed' ELSE 'pending' END::outbox_status,
                  CASE WHEN n = 1 THEN 5 ELSE 0 END, CASE WHEN n = 1 THEN $4 END,
                  now() - make_interval(days => $5)
           FROM generate_series(1, 3) AS n`,
          aggregateId,
          eventType,
          topic,
          error,
          failedDaysAgo,
        );
      };
      await seed('pet-f1', 'pet.poison', 'KafkaJSProtocolError: MESSAGE_TOO_LARGE', 0);
      await seed('pet-f2', 'pet.other', 'KafkaJSProtocolError: MESSAGE_TOO_LARGE', 0);
      await seed('pet-f3', 'pet.poison', 'KafkaJSProtocolError: INVALID_RECORD', 10);
      await testApp.app.outbox.relay?.runOnce();
      expect(await count("status = 'failed'")).toBe(3);
      await collector.caughtUp();
      expect(seen()).toEqual([]);

      const filter = { eventType: 'pet.poison', errorContains: 'message_too_large' };
      expect(await call(REPLAY_MATCHING, { filter, dryRun: true })).toEqual({
        dryRun: true,
        matched: 1,
        replayed: 0,
      });
      expect(await call(REPLAY_MATCHING, { filter, dryRun: false })).toEqual({
        dryRun: false,
        matched: 1,
        replayed: 1,
      });
      await waitFor(() => seen().length === 3, { what: 'pet-f1 and its parked events' });
      expect(seen().map((m) => [m.key, String(m.event.aggregateSequence)])).toEqual([
        ['pet-f1', '1'],
        ['pet-f1', '2'],
        ['pet-f1', '3'],
      ]);

      const failedBefore = new Date(Date.now() - 86_400_000).toISOString();
      expect(await call(REPLAY_MATCHING, { filter: { failedBefore }, dryRun: false })).toEqual({
        dryRun: false,
        matched: 1,
        replayed: 1,
      });
      await waitFor(() => seen().length === 6, { what: 'pet-f3 and its parked events' });
      expect(
        seen()
          .slice(3)
          .map((m) => [m.key, String(m.event.aggregateSequence)]),
      ).toEqual([
        ['pet-f3', '1'],
        ['pet-f3', '2'],
        ['pet-f3', '3'],
      ]);
      // The one that matched neither filter is still a dead letter, its successors still parked.
      expect(await count("status = 'failed' AND aggregate_id = 'pet-f2'")).toBe(1);
      expect(await count("status = 'pending' AND aggregate_id = 'pet-f2'")).toBe(2);
    } finally {
      await collector.stop();
    }
  });
});

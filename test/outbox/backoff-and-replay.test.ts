/**
 * Dead letters and replay: an event the broker refuses (too large for its topic, a real broker-side
 * error about the message, not an outage) is retried with growing, jittered backoff stored in the
 * row; after OUTBOX_MAX_RETRIES it is failed (dead letter) with its last error, its aggregate's
 * later events stay parked, other aggregates flow, and nothing of the refused batch is lost.
 * Once the cause is fixed, the admin mutations replay it and the parked events follow, in order.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import type { FailureOutcome } from '../../src/outbox/relay/settle-failures.ts';
import { allTopics, topicFor } from '../../src/outbox/topics.ts';
import { ADMIN_HEADERS } from '../support/admin.ts';
import { graphql } from '../support/graphql-client.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { randomTopicPrefix, startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  DEFAULT_BROKERS,
  enqueueEvents,
  type InProcessRelay,
  startInProcessRelay,
  type TestEvent,
} from './relay-harness.ts';

const MAX_RETRIES = 4;
const BASE_DELAY_MS = 200;
const MAX_DELAY_MS = 600;
const TOPIC_MAX_MESSAGE_BYTES = 20_000;

const REPLAY_EVENT = `mutation ($id: ID!) { replayFailedEvent(eventId: $id) { dryRun matched replayed } }`;
const REPLAY_AGGREGATE = `mutation ($type: String!, $id: String!) {
  replayFailedEventsOfAggregate(aggregateType: $type, aggregateId: $id) { dryRun matched replayed }
}`;
const REPLAY_MATCHING = `mutation ($filter: FailedEventFilter, $dryRun: Boolean!) {
  replayFailedEvents(filter: $filter, dryRun: $dryRun) { dryRun matched replayed }
}`;

type ReplayResult = { dryRun: boolean; matched: number; replayed: number };

let testApp: TestApp;
let relay: InProcessRelay | undefined;
let kafka: Kafka;
const topicPrefix = randomTopicPrefix('backoff');
const petTopic = topicFor(topicPrefix, 'pet');

beforeAll(async () => {
  // The pets topic accepts small messages only: a bigger event is refused by the broker itself.
  kafka = new Kafka({
    clientId: 'test-admin',
    brokers: DEFAULT_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: petTopic,
        numPartitions: 3,
        configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }],
      },
    ],
  });
  await admin.disconnect();
  // The server for the admin mutations; its own relay is off so the test can observe the relay it runs.
  testApp = await startTestApp({ KAFKA_TOPIC_PREFIX: topicPrefix, OUTBOX_RELAY_ENABLED: 'false' });
});

afterAll(async () => {
  await relay?.stop();
  await testApp?.stop();
});

async function mutate(query: string, variables: Record<string, unknown>) {
  const response = await graphql<Record<string, ReplayResult>>(
    testApp.graphqlUrl,
    query,
    variables,
    ADMIN_HEADERS,
  );
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return Object.values(response.data)[0] as ReplayResult;
}

type Row = {
  id: string;
  aggregate_sequence: number;
  status: string;
  retry_count: number;
  error_message: string | null;
};

function rowsOf(aggregateId: string): Promise<Row[]> {
  return testApp.app.services.prisma.$queryRawUnsafe<Row[]>(
    `SELECT id, aggregate_sequence, status::text AS status, retry_count, error_message FROM outbox_events
     WHERE aggregate_id = $1 ORDER BY aggregate_sequence`,
    aggregateId,
  );
}

describe('a message the broker refuses', () => {
  test('backs off as configured, becomes failed, parks its successors, and replays in order', async () => {
    const collector = await collectMessages(allTopics(topicPrefix));
    const retries: { event: ClaimedEvent; outcome: FailureOutcome }[] = [];
    const failed: ClaimedEvent[] = [];
    const db = { prisma: testApp.app.services.prisma };

    try {
      const poison = (aggregateId: string): TestEvent => ({
        aggregateType: 'pet',
        aggregateId,
        eventType: 'pet.poison',
        data: { padding: 'x'.repeat(TOPIC_MAX_MESSAGE_BYTES * 2) },
      });
      const small = (aggregateId: string, n: number): TestEvent => ({
        aggregateType: 'pet',
        aggregateId,
        eventType: 'pet.small',
        data: { n },
      });
      // One batch: two poisoned aggregates with successors, and healthy aggregates on every partition.
      const healthy = Array.from({ length: 9 }, (_, i) => `pet-healthy-${i}`);
      await enqueueEvents(
        db,
        topicPrefix,
        [
          poison('pet-poison-p'),
          small('pet-poison-p', 2),
          small('pet-poison-p', 3),
          poison('pet-poison-r'),
          small('pet-poison-r', 2),
          ...healthy.flatMap((id) => [small(id, 1), small(id, 2)]),
        ],
        { concurrency: 1 },
      );

      relay = startInProcessRelay(
        {
          DATABASE_URL: testApp.database.url,
          KAFKA_TOPIC_PREFIX: topicPrefix,
          OUTBOX_MAX_RETRIES: String(MAX_RETRIES),
          OUTBOX_RETRY_BASE_DELAY: String(BASE_DELAY_MS / 1000),
          OUTBOX_RETRY_MAX_DELAY: String(MAX_DELAY_MS / 1000),
          OUTBOX_POLLING_INTERVAL: '0.05',
        },
        {
          observer: {
            onRetry: (event, _error, outcome) => {
              if (outcome) retries.push({ event, outcome });
            },
            onFailed: (event) => failed.push(event),
          },
        },
      );
      await relay.started;

      await waitFor(() => failed.length === 2, { timeoutMs: 30_000, what: 'both poisoned events to fail' });

      // Healthy aggregates: all there (first occurrences), in order. A refused batch may have been
      // partly appended before it was retried event by event, so duplicates of it are allowed here.
      const healthyMessages = await waitFor(
        () => {
          const found = collector.messages.filter((m) => m.key?.startsWith('pet-healthy-'));
          const ids = new Set(found.map((m) => m.event.id));
          return ids.size === healthy.length * 2 ? found : null;
        },
        { what: 'every healthy event on Kafka' },
      );
      for (const id of healthy) {
        const firstSeen = [
          ...new Set(
            healthyMessages.filter((m) => m.key === id).map((m) => String(m.event.aggregateSequence)),
          ),
        ];
        expect(firstSeen).toEqual(['1', '2']);
      }

      // Backoff: per retry, the stored next attempt is base·2^(n-1) capped at the max, with jitter in its upper half.
      for (const aggregateId of ['pet-poison-p', 'pet-poison-r']) {
        const mine = retries.filter((r) => r.event.aggregateId === aggregateId).map((r) => r.outcome);
        expect(mine.map((o) => o.retryCount)).toEqual([1, 2, 3]);
        for (const outcome of mine) {
          const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (outcome.retryCount - 1));
          const stored = outcome.nextAttemptAt.getTime() - outcome.attemptedAt.getTime();
          expect(stored).toBeGreaterThanOrEqual(ceiling / 2 - 1);
          expect(stored).toBeLessThanOrEqual(ceiling + 1);
        }
        // No attempt came before the time stored for it.
        for (let i = 1; i < mine.length; i += 1) {
          expect((mine[i] as FailureOutcome).attemptedAt.getTime()).toBeGreaterThanOrEqual(
            (mine[i - 1] as FailureOutcome).nextAttemptAt.getTime(),
          );
        }
        // Dead letter with its last error; successors parked, untouched, not on Kafka.
        const [head, ...parked] = await rowsOf(aggregateId);
        expect(head).toMatchObject({ status: 'failed', retry_count: MAX_RETRIES });
        expect(head?.error_message).toMatch(/MESSAGE_TOO_LARGE|larger than the max message size/i);
        expect(parked.every((row) => row.status === 'pending' && row.retry_count === 0)).toBe(true);
        await collector.caughtUp();
        expect(collector.messages.filter((m) => m.key === aggregateId)).toEqual([]);
      }
      // A dry run only counts.
      expect(
        await mutate(REPLAY_MATCHING, { filter: { errorContains: 'max message size' }, dryRun: true }),
      ).toEqual({ dryRun: true, matched: 2, replayed: 0 });
      expect((await rowsOf('pet-poison-p'))[0]?.status).toBe('failed');

      // Unknown or not-failed ids are refused.
      const unknown = await graphql(
        testApp.graphqlUrl,
        REPLAY_EVENT,
        { id: '00000000-0000-4000-8000-000000000000' },
        ADMIN_HEADERS,
      );
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      // Fix the cause, then replay: one event by id, the other by its aggregate.
      const admin = kafka.admin();
      await admin.connect();
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: petTopic, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] },
        ],
      });
      await admin.disconnect();
      const [headP] = await rowsOf('pet-poison-p');
      expect(await mutate(REPLAY_EVENT, { id: headP?.id })).toEqual({
        dryRun: false,
        matched: 1,
        replayed: 1,
      });
      expect(await mutate(REPLAY_AGGREGATE, { type: 'pet', id: 'pet-poison-r' })).toEqual({
        dryRun: false,
        matched: 1,
        replayed: 1,
      });

      for (const [aggregateId, count] of [
        ['pet-poison-p', 3],
        ['pet-poison-r', 2],
      ] as const) {
        const delivered = await waitFor(
          () => {
            const found = collector.messages.filter((m) => m.key === aggregateId);
            return found.length === count ? found : null;
          },
          { what: `${aggregateId} delivered after the replay` },
        );
        expect(delivered.map((m) => Number(String(m.event.aggregateSequence)))).toEqual(
          Array.from({ length: count }, (_, i) => i + 1),
        );
        const rows = await rowsOf(aggregateId);
        await waitFor(async () => (await rowsOf(aggregateId)).every((row) => row.status === 'published'), {
          what: `${aggregateId} marked published`,
        });
        // The replayed event kept its last error for the record.
        expect(rows[0]?.error_message).toMatch(/MESSAGE_TOO_LARGE|larger than the max message size/i);
      }
      const left = await testApp.app.services.prisma.$queryRawUnsafe<{ n: number }[]>(
        "SELECT count(*)::int AS n FROM outbox_events WHERE status <> 'published'",
      );
      expect(left[0]?.n).toBe(0);
    } finally {
      await collector.stop();
    }
  });
});

/**
 * Late commits: a transaction takes its place first (its row's created_at, and the
 * aggregate's sequence number 1) but commits last. Events of other aggregates commit and go out
 * meanwhile, and a second transaction of the same aggregate has to wait for it. An id or time
 * cursor would skip the late row; the relay must publish it, and before its successor.
 */
import { afterAll, describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import { type EnqueuedEvent, enqueueOutboxEvent } from '../../src/outbox/enqueue.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { type FileDatabase, test } from '../support/fixtures.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { enqueueEvents, type InProcessRelay, outOfOrder, startInProcessRelay } from './relay-harness.ts';

let database: FileDatabase;
let db: Database;
let relay: InProcessRelay | undefined;

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  db = fileDatabase.db;
});

afterAll(async () => {
  await relay?.stop();
});

function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('a transaction that commits late', () => {
  test('is neither skipped nor overtaken by its own aggregate, while others flow', async () => {
    const topicPrefix = randomTopicPrefix('late');
    const collector = await collectMessages(allTopics(topicPrefix));
    relay = startInProcessRelay({ DATABASE_URL: database.url, KAFKA_TOPIC_PREFIX: topicPrefix });
    await relay.started;
    const lateAggregate = `pet-late-${topicPrefix}`;
    const event = (aggregateId: string, eventType: string) => ({
      aggregateType: 'pet' as const,
      aggregateId,
      eventType,
      data: { eventType },
      correlationId: null,
    });

    try {
      // T1: enqueues the late aggregate's first event, then holds its transaction open.
      const enqueued = deferred<EnqueuedEvent>();
      const commit = deferred();
      const t1 = db.prisma.$transaction(
        async (tx) => {
          const first = await enqueueOutboxEvent(tx, event(lateAggregate, 'pet.first'), { topicPrefix });
          enqueued.resolve(first);
          await commit.promise;
          return first;
        },
        { timeout: 60_000 },
      );
      const first = await enqueued.promise;
      expect(first.aggregateSequence).toBe(1);

      // Meanwhile other aggregates commit, later in time and id, and are published.
      await enqueueEvents(db, topicPrefix, [
        { aggregateType: 'pet', aggregateId: 'pet-other-1', eventType: 'pet.other', data: {} },
        { aggregateType: 'pet', aggregateId: 'pet-other-2', eventType: 'pet.other', data: {} },
        { aggregateType: 'pet', aggregateId: 'pet-other-1', eventType: 'pet.other', data: {} },
      ]);
      await waitFor(() => collector.messages.filter((m) => m.key?.startsWith('pet-other-')).length === 3, {
        what: 'the other aggregates to be published while T1 is open',
      });

      // T2: the late aggregate's successor. Its sequence number waits for T1's row lock.
      let t2Finished = false;
      const t2 = db.prisma
        .$transaction((tx) => enqueueOutboxEvent(tx, event(lateAggregate, 'pet.second'), { topicPrefix }), {
          timeout: 60_000,
        })
        .then((second) => {
          t2Finished = true;
          return second;
        });
      await waitFor(
        async () => {
          const { rows } = await db.pool.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return (rows[0]?.waiting ?? 0) > 0;
        },
        { what: 'T2 to wait for the sequence row T1 holds' },
      );
      expect(t2Finished).toBe(false);
      // The relay has run round several times and published nothing of the late aggregate.
      await relay.relay.runOnce();
      await collector.caughtUp();
      expect(collector.messages.filter((m) => m.key === lateAggregate)).toEqual([]);

      commit.resolve();
      await t1;
      const second = await t2;
      expect(second.aggregateSequence).toBe(2);

      const late = await waitFor(
        () => {
          const found = collector.messages.filter((m) => m.key === lateAggregate);
          return found.length === 2 ? found : null;
        },
        { what: 'both events of the late aggregate on Kafka' },
      );
      expect(late.map((m) => [m.event.id, String(m.event.aggregateSequence)])).toEqual([
        [first.id, '1'],
        [second.id, '2'],
      ]);
      expect(outOfOrder(collector.messages)).toEqual([]);

      // The late row is older than rows published before it: a created_at or id cursor would have skipped it.
      const { rows } = await db.pool.query<{ older: boolean }>(
        `SELECT (SELECT created_at FROM outbox_events WHERE id = $1) <
                (SELECT min(created_at) FROM outbox_events WHERE aggregate_id LIKE 'pet-other-%') AS older`,
        [first.id],
      );
      expect(rows[0]?.older).toBe(true);
      await waitFor(
        async () => {
          const { rows: pending } = await db.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM outbox_events WHERE status <> 'published'",
          );
          return pending[0]?.n === 0;
        },
        { what: 'everything marked published' },
      );
      expect(collector.messages).toHaveLength(5);
    } finally {
      await collector.stop();
    }
  });
});

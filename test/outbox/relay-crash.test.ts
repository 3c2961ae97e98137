/**
 * A standalone relay process is SIGKILLed in the worst place, after Kafka acknowledged its batches
 * and before the rows were marked published (the test holds a SHARE lock on the outbox table, which
 * lets the claims through but holds every UPDATE back, so the moment is certain rather than lucky).
 * The killed relay's claims end with its connection; a restarted relay publishes those events again:
 * nothing is lost, the only duplicates are those batches' events (same event ids), and the
 * consumer-side inbox applies each event exactly once.
 */
import pg from 'pg';
import { afterAll, describe, expect } from 'vitest';
import { countEventOnce } from '../../examples/count-event-once.ts';
import type { Database } from '../../src/infra/db.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { type FileDatabase, test } from '../support/fixtures.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  type ChildRelay,
  DEFAULT_BROKERS,
  duplicateIds,
  enqueueEvents,
  petEvents,
  readTopics,
  sequencesByAggregate,
  spawnRelay,
} from './relay-harness.ts';

const EVENTS = 1200;
const AGGREGATES = 20;
const BATCH = 150;

let database: FileDatabase;
let db: Database;
const children: ChildRelay[] = [];

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  db = fileDatabase.db;
});

afterAll(async () => {
  for (const child of children) await child.stop();
});

async function countWhere(condition: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox_events WHERE ${condition}`,
    params,
  );
  return rows[0]?.n ?? 0;
}

describe('a relay process killed between the broker acknowledgement and the mark', () => {
  test('loses nothing; its batch is published again, and the inbox absorbs the duplicates', async () => {
    const topicPrefix = randomTopicPrefix('crash');
    const topics = allTopics(topicPrefix);
    const collector = await collectMessages(topics);
    const env = {
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_BATCH_SIZE: String(BATCH),
      // Longer than the test needs to kill the relay while its marks wait (lock_timeout is the lease).
      OUTBOX_LEASE_TIMEOUT: '30',
    };
    await enqueueEvents(db, topicPrefix, petEvents(EVENTS, AGGREGATES), { perTransaction: 10 });

    // Hold back every mark: the relay can claim and publish, but not mark.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE outbox_events IN SHARE MODE');
    let blocking = true;

    try {
      const doomed = spawnRelay(env);
      children.push(doomed);
      const doomedId = await doomed.ready;
      await waitFor(() => collector.messages.length >= BATCH, {
        what: 'a first batch acknowledged by Kafka',
      });
      expect(await countWhere("status = 'published'")).toBe(0);

      doomed.child.kill('SIGKILL');
      await doomed.exited;
      // The relay sends its mark and the COMMIT in one message, so PostgreSQL would still run a mark
      // that reached it before the kill once the lock is free (correctly: those events are on
      // Kafka). The crash this test is about is the one where the mark never got there: end the
      // killed relay's sessions, as PostgreSQL does once it notices a client has gone.
      const { rows: ended } = await db.pool.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'petstore-outbox-relay'`,
      );
      expect(ended.length).toBeGreaterThan(0);
      // Everything the killed relay put on Kafka (its batches in flight), none of it marked.
      const inFlight = await readTopics(DEFAULT_BROKERS, topics);
      const batch = new Set(inFlight.map((m) => m.event.id));
      expect(batch.size).toBe(inFlight.length);
      expect(batch.size).toBeGreaterThanOrEqual(BATCH);
      await blocker.query('COMMIT');
      blocking = false;
      expect(await countWhere("status = 'published'")).toBe(0);

      const restarted = spawnRelay(env);
      children.push(restarted);
      await restarted.ready;
      await waitFor(async () => (await countWhere("status = 'published'")) === EVENTS, {
        timeoutMs: 60_000,
        what: 'the restarted relay to publish everything',
      });
      await waitFor(() => collector.messages.length >= EVENTS + batch.size, {
        what: 'the collector to catch up',
      });

      const onKafka = await readTopics(DEFAULT_BROKERS, topics);
      // Nothing lost: every outbox event is on Kafka.
      const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM outbox_events');
      expect(new Set(onKafka.map((m) => m.event.id))).toEqual(new Set(rows.map((row) => row.id)));
      // The only duplicates are the killed batch, each exactly twice, with the same event id.
      expect(onKafka).toHaveLength(EVENTS + batch.size);
      expect(new Set(duplicateIds(onKafka))).toEqual(batch);
      // Per aggregate, the repetition replays a prefix; the first occurrences are strictly in order.
      for (const sequence of sequencesByAggregate(onKafka).values()) {
        const firstSeen = [...new Set(sequence)];
        expect(firstSeen).toEqual(Array.from({ length: EVENTS / AGGREGATES }, (_, i) => i + 1));
      }

      // The killed instance went stale without a stop; its successor heartbeats.
      const { rows: instances } = await db.pool.query<{ relay_id: string; stopped: boolean }>(
        'SELECT relay_id, stopped_at IS NOT NULL AS stopped FROM outbox_relay_instances WHERE relay_id = $1',
        [doomedId],
      );
      expect(instances).toEqual([{ relay_id: doomedId, stopped: false }]);

      // A consumer using the inbox applies every event once, duplicates included in what it receives.
      let applied = 0;
      let skipped = 0;
      for (const message of onKafka) {
        const outcome = await countEventOnce(db.prisma, 'crash-test', {
          eventId: message.event.id,
          eventType: message.event.type,
        });
        if (outcome) applied += 1;
        else skipped += 1;
      }
      expect({ applied, skipped }).toEqual({ applied: EVENTS, skipped: batch.size });
      const { rows: counts } = await db.pool.query<{ applied: number }>(
        "SELECT applied FROM demo_event_counts WHERE consumer = 'crash-test'",
      );
      expect(counts).toEqual([{ applied: EVENTS }]);
    } finally {
      if (blocking) await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
      await collector.stop();
    }
  });
});

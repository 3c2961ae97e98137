/**
 * A slow batch must not outlive its lease unnoticed: while relay A is stuck between Kafka's
 * acknowledgement and the mark (the test holds the lock the mark takes) for several lease periods,
 * A keeps renewing its lease, so relay B, running all along, never takes A's events over and
 * publishes nothing twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDatabase, type Database } from '../../src/infra/db.ts';
import { PUBLICATION_ORDER_LOCK } from '../../src/outbox/mark-published.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  DEFAULT_BROKERS,
  duplicateIds,
  enqueueEvents,
  type InProcessRelay,
  outOfOrder,
  petEvents,
  randomPrefix,
  readTopics,
  startInProcessRelay,
} from './relay-harness.ts';

const LEASE_SECONDS = 1;

let database: TestDatabase;
let db: Database;
const relays: InProcessRelay[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url });
});

afterAll(async () => {
  for (const relay of relays) await relay.stop();
  await db?.close();
  await database?.drop();
});

describe('a batch slower than its lease', () => {
  test('keeps its lease while it is worked on, so no other relay publishes it again', async () => {
    const topicPrefix = randomPrefix('lease');
    const topics = allTopics(topicPrefix);
    const collector = await collectMessages(topics);
    const env = {
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_BATCH_SIZE: '50',
      OUTBOX_LEASE_TIMEOUT: String(LEASE_SECONDS),
    };
    await enqueueEvents(db, topicPrefix, petEvents(200, 4), { perTransaction: 10 });
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('SELECT pg_advisory_lock($1)', [PUBLICATION_ORDER_LOCK]);
    try {
      const a = startInProcessRelay(env, { relayId: 'relay-a' });
      relays.push(a);
      await a.started;
      await waitFor(() => collector.messages.length === 50, {
        what: "relay A's batch on Kafka, not yet marked",
      });
      const { rows: first } = await db.pool.query<{ until: Date }>(
        "SELECT max(locked_until) AS until FROM outbox_events WHERE locked_by = 'relay-a'",
      );
      const firstLease = first[0]?.until as Date;

      const b = startInProcessRelay(env, { relayId: 'relay-b' });
      relays.push(b);
      await b.started;
      // Three lease periods later A still holds every event of its batch, renewed, and B has none.
      await waitFor(
        async () => {
          const { rows } = await db.pool.query<{ until: Date; held: number }>(
            "SELECT min(locked_until) AS until, count(*)::int AS held FROM outbox_events WHERE locked_by = 'relay-a'",
          );
          const row = rows[0];
          return (
            row && row.held === 50 && row.until.getTime() > firstLease.getTime() + 3 * LEASE_SECONDS * 1000
          );
        },
        { timeoutMs: 20_000, what: 'relay A to renew its lease past three lease periods' },
      );
      const { rows: taken } = await db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbox_events WHERE locked_by = 'relay-b'",
      );
      expect(taken[0]?.n).toBe(0);
      expect(collector.messages).toHaveLength(50);
    } finally {
      await blocker.end();
    }
    try {
      await waitFor(
        async () => {
          const { rows } = await db.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM outbox_events WHERE status = 'published'",
          );
          return rows[0]?.n === 200;
        },
        { what: 'everything published once the mark can proceed' },
      );
      const onKafka = await readTopics(DEFAULT_BROKERS, topics);
      expect(onKafka).toHaveLength(200);
      expect(duplicateIds(onKafka)).toEqual([]);
      expect(outOfOrder(onKafka)).toEqual([]);
    } finally {
      await collector.stop();
    }
  });
});

/**
 * The relay keeps its own table vacuumed: PostgreSQL's dead-row count decides, one instance
 * vacuums at a time, and a running relay does it by itself once enough events went through.
 */
import pg from 'pg';
import { afterAll, beforeEach, describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import { VACUUM_LOCK } from '../../src/outbox/advisory-lock-keys.ts';
import { vacuumOutboxIfDue } from '../../src/outbox/maintenance/vacuum-outbox.ts';
import { type FileDatabase, test } from '../support/fixtures.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { enqueueEvents, type InProcessRelay, petEvents, startInProcessRelay } from './relay-harness.ts';

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

/** What PostgreSQL's statistics say about outbox_events right now. */
async function tableStats(): Promise<{ dead: number; vacuums: number }> {
  const { rows } = await db.pool.query<{ dead: string; vacuums: string }>(
    `SELECT n_dead_tup AS dead, vacuum_count AS vacuums
     FROM pg_stat_user_tables WHERE relid = 'outbox_events'::regclass`,
  );
  return { dead: Number(rows[0]?.dead), vacuums: Number(rows[0]?.vacuums) };
}

async function pendingCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox_events WHERE status <> 'published'",
  );
  return rows[0]?.n ?? -1;
}

/** Inserts `count` events and updates each twice (as a lease and a mark do), in one session whose statistics are flushed. */
async function churn(count: number): Promise<void> {
  const client = await db.pool.connect();
  try {
    const aggregate = `pet-churn-${Math.random().toString(16).slice(2, 8)}`;
    await client.query(
      `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence)
       SELECT $1, 'pet', 'pet.churned', '{}', 'test.pets', n FROM generate_series(1, $2) AS n`,
      [aggregate, count],
    );
    await client.query(
      `UPDATE outbox_events SET locked_by = 'test', locked_until = now() WHERE aggregate_id = $1`,
      [aggregate],
    );
    await client.query(
      `UPDATE outbox_events SET status = 'published', is_processed = true, processed_at = now(),
              published_seq = nextval('outbox_events_published_seq') WHERE aggregate_id = $1`,
      [aggregate],
    );
    // Statistics reach pg_stat_user_tables when a session goes idle, at most once a second: now, please.
    await client.query('SELECT pg_stat_force_next_flush()');
  } finally {
    client.release();
  }
}

describe('vacuumOutboxIfDue', () => {
  beforeEach(async () => {
    await db.pool.query('VACUUM outbox_events');
  });

  test('vacuums once the dead rows reach the threshold, and not before', async () => {
    await churn(500);
    await waitFor(async () => (await tableStats()).dead >= 1000, { what: 'the dead rows to be counted' });
    const before = await tableStats();

    const tooEarly = await vacuumOutboxIfDue(db.pool, { deadRowThreshold: before.dead + 1 });
    expect(tooEarly).toMatchObject({ vacuumed: false, reason: 'below-threshold', deadRows: before.dead });
    expect((await tableStats()).vacuums).toBe(before.vacuums);

    const due = await vacuumOutboxIfDue(db.pool, { deadRowThreshold: before.dead });
    expect(due).toMatchObject({ vacuumed: true, deadRows: before.dead });
    await waitFor(async () => (await tableStats()).vacuums === before.vacuums + 1, {
      what: 'the vacuum to be counted',
    });
    expect((await tableStats()).dead).toBe(0);
  });

  test('leaves the table to another instance that is vacuuming it', async () => {
    await churn(200);
    await waitFor(async () => (await tableStats()).dead >= 400, { what: 'the dead rows to be counted' });
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [VACUUM_LOCK]);
      const outcome = await vacuumOutboxIfDue(db.pool, { deadRowThreshold: 1 });
      expect(outcome).toMatchObject({ vacuumed: false, reason: 'another-instance' });
    } finally {
      await other.end();
    }
    // The session lock went with the other connection; the lock this call took was given back too.
    expect(await vacuumOutboxIfDue(db.pool, { deadRowThreshold: 1 })).toMatchObject({ vacuumed: true });
    expect(await vacuumOutboxIfDue(db.pool, { deadRowThreshold: 0 })).toMatchObject({ vacuumed: true });
  });
});

describe('the relay', () => {
  test('vacuums the outbox by itself once the events it published left enough dead rows', async () => {
    const before = await tableStats();
    const topicPrefix = randomTopicPrefix('vacuum');
    relay = startInProcessRelay({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_VACUUM_DEAD_ROWS: '100',
    });
    await relay.started;
    // Each round of 50 events leaves about 50 dead row versions (the marks); the relay looks at
    // PostgreSQL's count every 25 rows it changed, and that count lags by up to a few seconds.
    for (let round = 0; round < 20 && (await tableStats()).vacuums === before.vacuums; round += 1) {
      await enqueueEvents(db, topicPrefix, petEvents(50, 10), { perTransaction: 10 });
      await waitFor(async () => (await pendingCount()) === 0, { what: 'the relay to publish the round' });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await tableStats()).vacuums).toBeGreaterThan(before.vacuums);
  });
});

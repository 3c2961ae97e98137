/**
 * Retention: processed rows past the retention are removed in small batches, and only those:
 * recent processed rows, pending rows and failed rows (dead letters) stay whatever their age. Rows
 * someone holds a lock on are skipped rather than waited for, one instance purges at a time, and
 * the relay runs the purge by itself.
 */
import pg from 'pg';
import { afterAll, describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import { RETENTION_LOCK } from '../../src/outbox/advisory-lock-keys.ts';
import { purgeProcessedEvents } from '../../src/outbox/maintenance/purge-processed-events.ts';
import { type FileDatabase, test } from '../support/fixtures.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { type InProcessRelay, startInProcessRelay } from './relay-harness.ts';

const DAY_MS = 86_400_000;
const RETENTION_MS = 7 * DAY_MS;

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

/** `count` rows of one kind for aggregate `aggregateId`; ages in days before now. */
async function seed(
  aggregateId: string,
  count: number,
  {
    status,
    createdDaysAgo,
    processedDaysAgo,
  }: { status: string; createdDaysAgo: number; processedDaysAgo?: number },
): Promise<void> {
  const published = status === 'published';
  await db.pool.query(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                                status, is_processed, created_at, processed_at, published_seq)
     SELECT $1, 'pet', 'pet.seeded', '{}', 'test.pets', n, $3::outbox_status, $4,
            now() - make_interval(days => $5), CASE WHEN $4 THEN now() - make_interval(days => $6) END,
            CASE WHEN $4 THEN nextval('outbox_events_published_seq') END
     FROM generate_series(1, $2) AS n`,
    [aggregateId, count, status, published, createdDaysAgo, processedDaysAgo ?? 0],
  );
}

async function remaining(): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ aggregate_id: string; n: number }>(
    'SELECT aggregate_id, count(*)::int AS n FROM outbox_events GROUP BY aggregate_id ORDER BY aggregate_id',
  );
  return Object.fromEntries(rows.map((row) => [row.aggregate_id, row.n]));
}

describe('retention', () => {
  test('removes only processed rows older than the retention, in small batches, skipping locked rows', async () => {
    await db.pool.query('DELETE FROM outbox_events');
    await seed('old-published', 25, { status: 'published', createdDaysAgo: 9, processedDaysAgo: 8 });
    await seed('recent-published', 5, { status: 'published', createdDaysAgo: 2, processedDaysAgo: 1 });
    // Created long ago but published only yesterday: its retention counts from the publication.
    await seed('late-published', 4, { status: 'published', createdDaysAgo: 30, processedDaysAgo: 1 });
    await seed('old-failed', 3, { status: 'failed', createdDaysAgo: 30 });
    await seed('old-pending', 3, { status: 'pending', createdDaysAgo: 30 });

    // Someone holds one old processed row: it is skipped, not waited for.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        "SELECT id FROM outbox_events WHERE aggregate_id = 'old-published' AND aggregate_sequence = 1 FOR UPDATE",
      );
      const first = await purgeProcessedEvents(db.pool, { retentionMs: RETENTION_MS, batchSize: 7 });
      expect(first).toEqual({ deleted: 24, skipped: false });
      expect(await remaining()).toEqual({
        'late-published': 4,
        'old-failed': 3,
        'old-pending': 3,
        'old-published': 1,
        'recent-published': 5,
      });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }

    // While another instance purges (it holds the retention lock), this one leaves the work to it.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK]);
      expect(await purgeProcessedEvents(db.pool, { retentionMs: RETENTION_MS, batchSize: 7 })).toEqual({
        deleted: 0,
        skipped: true,
      });
    } finally {
      await other.end();
    }

    expect(await purgeProcessedEvents(db.pool, { retentionMs: RETENTION_MS, batchSize: 7 })).toEqual({
      deleted: 1,
      skipped: false,
    });
    expect(await remaining()).toEqual({
      'late-published': 4,
      'old-failed': 3,
      'old-pending': 3,
      'recent-published': 5,
    });
  });

  test('a running relay purges by itself every OUTBOX_RETENTION_INTERVAL', async () => {
    await db.pool.query('DELETE FROM outbox_events');
    await seed('old-published', 30, { status: 'published', createdDaysAgo: 9, processedDaysAgo: 8 });
    await seed('recent-published', 2, { status: 'published', createdDaysAgo: 2, processedDaysAgo: 1 });
    await db.pool.query(
      `INSERT INTO outbox_relay_instances (relay_id, hostname, pid, mode, heartbeat_interval_ms, heartbeat_at)
       VALUES ('long-gone', 'h', 1, 'standalone', 5000, now() - interval '30 days')`,
    );
    relay = startInProcessRelay({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: randomTopicPrefix('retention'),
      OUTBOX_RETENTION_DAYS: '7',
      OUTBOX_RETENTION_INTERVAL: '1',
      OUTBOX_RETENTION_BATCH_SIZE: '10',
    });
    await relay.started;
    await waitFor(async () => (await remaining())['old-published'] === undefined, {
      what: 'the relay to purge the old processed rows',
    });
    expect(await remaining()).toEqual({ 'recent-published': 2 });
    // Relay instances silent for longer than the retention are forgotten too.
    const { rows } = await db.pool.query<{ relay_id: string }>('SELECT relay_id FROM outbox_relay_instances');
    expect(rows.map((row) => row.relay_id)).toEqual([relay.relay.id]);
  });
});

import type pg from 'pg';
import { RETENTION_LOCK } from '../advisory-lock-keys.ts';

export type PurgeOutcome = {
  deleted: number;
  /** True when another instance was purging, so this one left the work to it. */
  skipped: boolean;
};

/**
 * Deletes published events processed longer than `retentionMs` ago, `batchSize` rows per short
 * transaction, never in one long-locking DELETE: rows a relay or a reader has locked are skipped
 * (SKIP LOCKED) and taken by a later run. Pending and failed events are never deleted, whatever
 * their age: they are the work and the dead letters. The per-aggregate sequence counters stay,
 * so an aggregate's numbering never starts over.
 *
 * Every batch takes a transaction-level advisory lock with try-lock: while one instance purges,
 * the others skip the run instead of competing for the same rows. The `created_at` bound lets
 * the scan use `idx_outbox_events_created_at` (an event is processed after it was created), so
 * a run costs what it deletes, not the table's size.
 */
export async function purgeProcessedEvents(
  pool: pg.Pool,
  {
    retentionMs,
    batchSize,
    maxBatches = Number.POSITIVE_INFINITY,
  }: {
    retentionMs: number;
    batchSize: number;
    maxBatches?: number;
  },
): Promise<PurgeOutcome> {
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const client = await pool.connect();
    let failure: Error | undefined;
    let count = 0;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [RETENTION_LOCK],
      );
      if (!rows[0]?.locked) {
        await client.query('ROLLBACK');
        return { deleted, skipped: true };
      }
      const result = await client.query(
        `DELETE FROM outbox_events WHERE id IN (
           SELECT id FROM outbox_events
           WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
             AND processed_at < now() - make_interval(secs => $1::double precision / 1000)
             AND status = 'published'
           LIMIT $2
           FOR UPDATE SKIP LOCKED)`,
        [retentionMs, batchSize],
      );
      await client.query('COMMIT');
      count = result.rowCount ?? 0;
    } catch (error) {
      failure = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(failure);
    }
    deleted += count;
    if (count < batchSize) break;
  }
  return { deleted, skipped: false };
}

import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { VACUUM_LOCK } from '../advisory-lock-keys.ts';

export type VacuumOutcome =
  | { vacuumed: true; deadRows: number; durationMs: number }
  | { vacuumed: false; deadRows: number; reason: 'below-threshold' | 'another-instance' };

/**
 * Runs `VACUUM (ANALYZE) outbox_events` when PostgreSQL counts at least `deadRowThreshold` dead
 * rows in it, unless another instance is vacuuming it right now (session try-lock).
 *
 * Why the relay does this itself: every event leaves a dead row version behind (its mark), and its entries stay in the partial indexes the claim reads until VACUUM removes them.
 * The claim's oldest-first scan steps over all of them on every call, so its cost grows with the
 * number of events published since the last vacuum. Autovacuum's defaults (a table is vacuumed
 * once 20% of it is dead, checked once a minute) react far too late for a queue table, and some
 * servers run with autovacuum off; the CI machine of this project does. ANALYZE keeps the
 * planner's picture of pending/published current, which the claim's plan depends on.
 *
 * VACUUM takes no lock that blocks inserts, claims or marks, and cannot run inside a transaction,
 * hence a client of its own.
 */
export async function vacuumOutboxIfDue(
  pool: pg.Pool,
  { deadRowThreshold }: { deadRowThreshold: number },
): Promise<VacuumOutcome> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    const { rows } = await client.query<{ dead: string | null }>(
      `SELECT n_dead_tup AS dead FROM pg_stat_user_tables WHERE relid = 'outbox_events'::regclass`,
    );
    const deadRows = Number(rows[0]?.dead ?? 0);
    if (deadRows < deadRowThreshold) return { vacuumed: false, deadRows, reason: 'below-threshold' };
    const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      VACUUM_LOCK,
    ]);
    if (!lock.rows[0]?.locked) return { vacuumed: false, deadRows, reason: 'another-instance' };
    const started = performance.now();
    try {
      // A relay's sessions have a statement_timeout (src/outbox/relay/relay-pool.ts); VACUUM of a
      // large table may rightly take longer, and blocks nobody while it runs.
      await client.query('SET statement_timeout = 0');
      await client.query('VACUUM (ANALYZE) outbox_events');
    } finally {
      await client.query('RESET statement_timeout');
      await client.query('SELECT pg_advisory_unlock($1)', [VACUUM_LOCK]);
    }
    return { vacuumed: true, deadRows, durationMs: performance.now() - started };
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    // A client that failed may still hold the session lock: close it rather than hand it out again.
    client.release(failure);
  }
}

export type OutboxVacuumer = {
  /** Counts rows this relay changed; now and then starts a check in the background. */
  noteChanged(rows: number): void;
  /** Waits for a check or vacuum in progress. */
  settle(): Promise<void>;
};

/**
 * Decides when to look: reading the statistics is cheap but not free, so the relay checks once it
 * has itself changed a quarter of the threshold's worth of rows (each published event leaves one
 * dead row version: the one its mark replaced), never twice at once, and never on the claim path.
 * A threshold of 0 turns it off (autovacuum alone then looks after the table).
 */
export function createOutboxVacuumer({
  pool,
  deadRowThreshold,
  log,
}: {
  pool: pg.Pool;
  deadRowThreshold: number;
  log: Pick<Logger, 'info' | 'warn'>;
}): OutboxVacuumer {
  const checkEvery = Math.max(1, Math.floor(deadRowThreshold / 4));
  let changedSinceCheck = 0;
  let running: Promise<void> | null = null;

  return {
    noteChanged(rows) {
      if (deadRowThreshold <= 0) return;
      changedSinceCheck += rows;
      if (changedSinceCheck < checkEvery || running) return;
      changedSinceCheck = 0;
      running = vacuumOutboxIfDue(pool, { deadRowThreshold })
        .then((outcome) => {
          if (outcome.vacuumed) {
            log.info(
              { deadRows: outcome.deadRows, durationMs: Math.round(outcome.durationMs) },
              'vacuumed outbox_events',
            );
          }
        })
        .catch((error: Error) => log.warn({ err: error.message }, 'outbox vacuum failed'))
        .finally(() => {
          running = null;
        });
    },
    async settle() {
      await running;
    },
  };
}

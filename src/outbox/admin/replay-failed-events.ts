import type pg from 'pg';
import { PENDING_CHANNEL } from '../notification-channels.ts';

/** Which failed (dead-lettered) events a replay applies to; every given criterion must match. */
export type FailedEventFilter = {
  eventType?: string | null;
  aggregateType?: string | null;
  aggregateId?: string | null;
  /** Case-insensitive substring of the last error. */
  errorContains?: string | null;
  /** When the event became failed (for a failed row that is `next_attempt_at`). */
  failedBefore?: Date | null;
  failedAfter?: Date | null;
};

export type ReplayOutcome = {
  dryRun: boolean;
  /** Failed events that match. */
  matched: number;
  /** Events set back to pending (0 on a dry run). */
  replayed: number;
};

/**
 * Puts failed events back in the queue: status pending, retry budget full again (retry_count 0),
 * due now, no lease. The last error stays in error_message until a new attempt replaces it.
 * A failed event is always its aggregate's head (its successors were parked behind it), so the
 * relay publishes it first and then the parked ones, in sequence order, like any other backlog.
 * The `outbox_pending` notification wakes the relays at once.
 */
async function replay(
  pool: pg.Pool,
  conditions: string[],
  params: unknown[],
  dryRun: boolean,
): Promise<ReplayOutcome> {
  const where = ["status = 'failed'", ...conditions].join(' AND ');
  if (dryRun) {
    const { rows } = await pool.query<{ matched: number }>(
      `SELECT count(*)::int AS matched FROM outbox_events WHERE ${where}`,
      params,
    );
    return { dryRun, matched: rows[0]?.matched ?? 0, replayed: 0 };
  }
  const { rows } = await pool.query<{ replayed: number }>(
    `WITH replayed AS (
       UPDATE outbox_events
       SET status = 'pending', retry_count = 0, next_attempt_at = now(), locked_by = NULL, locked_until = NULL
       WHERE ${where}
       RETURNING 1
     )
     SELECT count(*)::int AS replayed FROM replayed`,
    params,
  );
  const replayed = rows[0]?.replayed ?? 0;
  // After the commit above (autocommit), so a woken relay finds the rows; polling covers a lost one.
  if (replayed > 0) await pool.query('SELECT pg_notify($1, $2)', [PENDING_CHANNEL, 'replay']);
  return { dryRun, matched: replayed, replayed };
}

/** Replays one failed event. `matched` is 0 when the id is unknown or the event is not failed. */
export function replayFailedEvent(pool: pg.Pool, eventId: string): Promise<ReplayOutcome> {
  return replay(pool, ['id = $1::uuid'], [eventId], false);
}

/** Replays the failed events of one aggregate. */
export function replayFailedEventsOfAggregate(
  pool: pg.Pool,
  { aggregateType, aggregateId }: { aggregateType: string; aggregateId: string },
): Promise<ReplayOutcome> {
  return replay(pool, ['aggregate_type = $1', 'aggregate_id = $2'], [aggregateType, aggregateId], false);
}

/** Replays every failed event matching the filter (an empty filter matches all); a dry run only counts. */
export function replayFailedEventsMatching(
  pool: pg.Pool,
  filter: FailedEventFilter,
  { dryRun }: { dryRun: boolean },
): Promise<ReplayOutcome> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.eventType != null) add((p) => `event_type = ${p}`, filter.eventType);
  if (filter.aggregateType != null) add((p) => `aggregate_type = ${p}`, filter.aggregateType);
  if (filter.aggregateId != null) add((p) => `aggregate_id = ${p}`, filter.aggregateId);
  if (filter.errorContains != null) {
    add((p) => `strpos(lower(coalesce(error_message, '')), lower(${p})) > 0`, filter.errorContains);
  }
  if (filter.failedBefore != null) add((p) => `next_attempt_at < ${p}`, filter.failedBefore);
  if (filter.failedAfter != null) add((p) => `next_attempt_at >= ${p}`, filter.failedAfter);
  return replay(pool, conditions, params, dryRun);
}

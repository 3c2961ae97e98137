import type pg from 'pg';
import { type BackoffPolicy, retryDelayMs } from './backoff.ts';
import type { ClaimedEvent } from './claimed-event.ts';

export type FailureOutcome = {
  status: 'retry' | 'failed';
  retryCount: number;
  nextAttemptInMs: number;
  /** When the attempt was recorded (the database's clock) and when the next one is due. */
  attemptedAt: Date;
  nextAttemptAt: Date;
};

/**
 * Counts one failed attempt against an event: it is retried after a backoff stored in the row,
 * or, once `maxRetries` attempts have failed, becomes `failed` (the dead-letter state) with its
 * last error kept; for a failed row `next_attempt_at` is the moment it failed. Its aggregate's
 * later events stay parked behind it either way.
 *
 * Only while this relay still holds the claim: if its lease ran out and another relay took the
 * event over, that relay's outcome counts, not this one. Returns null then.
 */
export async function recordPublishFailure(
  pool: pg.Pool,
  event: ClaimedEvent,
  error: string,
  { relayId, maxRetries, backoff }: { relayId: string; maxRetries: number; backoff: BackoffPolicy },
): Promise<FailureOutcome | null> {
  const retryCount = event.retryCount + 1;
  const failed = retryCount >= maxRetries;
  const delayMs = failed ? 0 : retryDelayMs(retryCount, backoff);
  const { rows } = await pool.query<{ attempted_at: Date; next_attempt_at: Date }>(
    `UPDATE outbox_events
     SET retry_count = $2, error_message = $3, status = $4::outbox_status,
         next_attempt_at = clock_timestamp() + make_interval(secs => $5::double precision / 1000),
         locked_by = NULL, locked_until = NULL
     WHERE id = $1 AND locked_by = $6 AND status = 'pending'
     RETURNING next_attempt_at - make_interval(secs => $5::double precision / 1000) AS attempted_at, next_attempt_at`,
    [event.id, retryCount, error, failed ? 'failed' : 'pending', delayMs, relayId],
  );
  const [row] = rows;
  if (!row) return null;
  return {
    status: failed ? 'failed' : 'retry',
    retryCount,
    nextAttemptInMs: delayMs,
    attemptedAt: row.attempted_at,
    nextAttemptAt: row.next_attempt_at,
  };
}

/** Gives claimed events back untouched (no retry counted): for an outage, or events behind a failure. */
export async function releaseClaims(
  pool: pg.Pool,
  events: readonly ClaimedEvent[],
  relayId: string,
): Promise<void> {
  if (events.length === 0) return;
  await pool.query(
    `UPDATE outbox_events SET locked_by = NULL, locked_until = NULL
     WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND status = 'pending'`,
    [events.map((event) => event.id), relayId],
  );
}

import { type BackoffPolicy, retryDelayMs } from './backoff.ts';
import type { TransactionClient } from './claim-batch.ts';
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
 * Written in the transaction that claimed the event (its row lock is the claim), so the attempt
 * counts only if that transaction commits. Returns null if the event is no longer pending.
 */
export async function recordPublishFailure(
  client: TransactionClient,
  event: ClaimedEvent,
  error: string,
  { maxRetries, backoff }: { maxRetries: number; backoff: BackoffPolicy },
): Promise<FailureOutcome | null> {
  const retryCount = event.retryCount + 1;
  const failed = retryCount >= maxRetries;
  const delayMs = failed ? 0 : retryDelayMs(retryCount, backoff);
  const { rows } = await client.query<{ attempted_at: Date; next_attempt_at: Date }>(
    `UPDATE outbox_events
     SET retry_count = $2, error_message = $3, status = $4::outbox_status,
         next_attempt_at = clock_timestamp() + make_interval(secs => $5::double precision / 1000),
         locked_by = NULL, locked_until = NULL
     WHERE id = $1 AND status = 'pending'
     RETURNING next_attempt_at - make_interval(secs => $5::double precision / 1000) AS attempted_at, next_attempt_at`,
    [event.id, retryCount, error, failed ? 'failed' : 'pending', delayMs],
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

import type { Logger } from '../../infra/logger.ts';
import type { BackoffPolicy } from './backoff.ts';
import { errorMessage } from './broker-errors.ts';
import type { ClaimTransaction } from './claim-transaction.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import { type MarkedPublications, markPublished } from './mark-published.ts';
import type { PublishOutcome } from './publish-batch.ts';
import { type FailureOutcome, recordPublishFailure } from './settle-failures.ts';

export type SettledBatch = {
  marked: MarkedPublications | null;
  failures: { event: ClaimedEvent; error: string; outcome: FailureOutcome | null }[];
};

/**
 * Writes what Kafka made of a batch into the claim's own transaction and commits it: acknowledged
 * events are marked published, refused ones are charged an attempt (retry with backoff, or the
 * dead letter), and everything else is released by the commit itself (still pending, unlocked).
 *
 * If this fails (the database went away, or the session outlived OUTBOX_LEASE_TIMEOUT and was
 * ended), the transaction is gone with its claim and nothing of it was recorded. Events Kafka
 * acknowledged are then published again by the next claim, with the same event id (at least
 * once; consumers deduplicate, src/inbox/handle-once.ts). They are never lost.
 */
export async function settleBatch({
  claim,
  outcome,
  retry,
  log,
}: {
  claim: ClaimTransaction;
  outcome: PublishOutcome;
  retry: { maxRetries: number; backoff: BackoffPolicy };
  log: Pick<Logger, 'error'>;
}): Promise<SettledBatch> {
  try {
    if (outcome.refused.length === 0) {
      // The usual case: the mark and the COMMIT in one round trip.
      const marked = await claim.commitAfter((client, commit) =>
        markPublished(client, outcome.published, { thenRun: commit }),
      );
      return { marked, failures: [] };
    }
    const marked = await markPublished(claim.client, outcome.published);
    const failures: SettledBatch['failures'] = [];
    for (const { event, error } of outcome.refused) {
      failures.push({ event, error, outcome: await recordPublishFailure(claim.client, event, error, retry) });
    }
    await claim.commit();
    return { marked, failures };
  } catch (error) {
    await claim.rollback().catch(() => {});
    if (outcome.published.length > 0) {
      log.error(
        { err: errorMessage(error), events: outcome.published.length },
        'events are on Kafka but could not be marked published; the next claim publishes them again',
      );
    }
    throw error;
  }
}

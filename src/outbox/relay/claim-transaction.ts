import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import type { BatchClaimer } from './claim-batch.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import { keepClaimAlive } from './keep-claim-alive.ts';

/**
 * A batch claimed in a transaction that stays open until the batch is settled: the row locks are
 * the claim, and the mark is written in the same transaction (one UPDATE per event). Ending the
 * transaction any way releases whatever was not marked: committed, the unmarked events are
 * pending again for the next claim; rolled back, nothing of the batch was recorded.
 */
export type ClaimTransaction = {
  readonly events: ClaimedEvent[];
  readonly client: pg.PoolClient;
  commit(): Promise<void>;
  /**
   * Commits with `last` run just before the COMMIT, in the same round trip: `last` gets the
   * statements that end the transaction and sends them after its own (see markPublished).
   */
  commitAfter<T>(last: (client: pg.PoolClient, commit: readonly string[]) => Promise<T>): Promise<T>;
  rollback(): Promise<void>;
};

/**
 * Opens the claim transaction, with generic plans for its prepared
 * statements: planned once per connection instead of once per batch. PostgreSQL's default would plan
 * the claim afresh every time, because the generic plan's estimate for `LIMIT $1` looks costlier than
 * the custom plans', though EXPLAIN shows the same plan and the same buffers either way (planning
 * 0.01 ms instead of 0.3-0.8 ms). Without JIT: that inflated estimate passes jit_above_cost, and
 * compiling the claim took 24 ms a batch for a statement that runs in under 1 ms (EXPLAIN on a
 * 100,000-event backlog). SET LOCAL keeps both settings to this transaction: the relay's other
 * statements (purge, vacuum, heartbeat) are planned as usual. Plans are rebuilt whenever ANALYZE
 * changes the table's statistics. BEGIN, the settings and the claim's first statement go to
 * PostgreSQL in one round trip (src/infra/pg-one-round-trip.ts).
 */
export const BEGIN_CLAIM = ['BEGIN', 'SET LOCAL plan_cache_mode = force_generic_plan', 'SET LOCAL jit = off'];

/** Opens a transaction and claims a batch in it; null (transaction ended) when there is nothing to claim. */
export async function openClaimTransaction({
  pool,
  claimer,
  leaseMs,
  log,
}: {
  pool: pg.Pool;
  claimer: BatchClaimer;
  leaseMs: number;
  log: Pick<Logger, 'warn'>;
}): Promise<ClaimTransaction | null> {
  const client = await pool.connect();
  let events: ClaimedEvent[];
  try {
    events = await claimer.claim(client, BEGIN_CLAIM);
    if (events.length === 0) {
      await client.query('COMMIT');
      client.release();
      return null;
    }
  } catch (error) {
    // A client that failed mid-transaction may have lost its connection: do not hand it out again.
    client.release(error as Error);
    throw error;
  }
  const stopRenewing = keepClaimAlive({ client, leaseMs, log });
  let ended = false;
  /** Runs the transaction's last round trip; a client that failed in it is discarded, not reused. */
  async function end<T>(last: () => Promise<T>): Promise<T | undefined> {
    if (ended) return undefined;
    ended = true;
    await stopRenewing();
    let result: T;
    try {
      result = await last();
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    client.release();
    return result;
  }
  return {
    events,
    client,
    commit: async () => {
      await end(() => client.query('COMMIT'));
    },
    async commitAfter(last) {
      if (ended) throw new Error('the claim transaction has already ended');
      return (await end(() => last(client, ['COMMIT']))) as Awaited<ReturnType<typeof last>>;
    },
    rollback: async () => {
      await end(() => client.query('ROLLBACK'));
    },
  };
}

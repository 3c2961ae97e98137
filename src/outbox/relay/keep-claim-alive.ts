import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';

/**
 * The lease of a claim: while a batch is in flight to Kafka its claim transaction sits idle, and
 * PostgreSQL ends any session idle in a transaction for longer than OUTBOX_LEASE_TIMEOUT
 * (src/outbox/relay/relay-pool.ts). A live relay therefore sends a trivial statement every third
 * of the lease, so a slow publish (kafkajs retries a request for tens of seconds) keeps its claim;
 * a relay that stopped running (crashed, frozen, cut off) does not, and loses it.
 * Returns the function that stops the renewals (and waits for one in progress).
 */
export function keepClaimAlive({
  client,
  leaseMs,
  log,
}: {
  client: pg.PoolClient;
  leaseMs: number;
  log: Pick<Logger, 'warn'>;
}): () => Promise<void> {
  const every = Math.max(100, Math.floor(leaseMs / 3));
  let stopped = false;
  let renewing: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout = setTimeout(function renew() {
    renewing = client
      .query('SELECT 1')
      .catch((error: Error) =>
        log.warn({ err: error.message }, 'claim renewal failed; the claim may be lost'),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(renew, every);
      });
  }, every);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await renewing;
  };
}

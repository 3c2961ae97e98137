import type pg from 'pg';
import type { Config } from '../../config/env.ts';
import { createPool } from '../../infra/db.ts';
import type { Logger } from '../../infra/logger.ts';

/**
 * Connections one relay instance needs at most: two claim transactions (one in flight to Kafka,
 * the next being claimed), the announcement of committed marks, the heartbeat, the retention purge,
 * the vacuum and the pause switch.
 */
export const RELAY_POOL_SIZE = 7;

/**
 * The relay's own pool. Every session is bounded by OUTBOX_LEASE_TIMEOUT, so a relay that stops
 * (SIGSTOP, a paused VM, a network partition) stops nobody for longer than that:
 *
 * - idle_in_transaction_session_timeout: a claim transaction is held open while its batch is in
 *   flight to Kafka, and its row locks are the claim. A live relay touches the session every third
 *   of the lease (src/outbox/relay/keep-claim-alive.ts); a frozen one does not, PostgreSQL ends its
 *   session, and the events go to whichever relay claims next.
 * - lock_timeout and statement_timeout: no relay statement waits on a lock, or runs, longer than a
 *   lease (the claim skips locked rows; the mark touches only rows its own transaction holds).
 * - TCP keepalive: a connection whose server vanished is noticed rather than waited on.
 * - The pool is the relay's alone: a flood of API or health-check work never takes its connections.
 */
export function createRelayPool({
  config,
  logger,
  maxConnections = RELAY_POOL_SIZE,
}: {
  config: Pick<Config, 'outbox' | 'database'>;
  logger?: Logger;
  maxConnections?: number;
}): pg.Pool {
  const leaseMs = config.outbox.leaseTimeoutMs;
  return createPool({
    url: config.database.url,
    maxConnections,
    applicationName: 'petstore-outbox-relay',
    // A step that cannot get a connection within a lease fails and is retried by the loop, rather
    // than queueing behind work that may never end.
    connectionTimeoutMs: leaseMs,
    logger,
    sessionLimits: {
      statementTimeoutMs: leaseMs,
      lockTimeoutMs: leaseMs,
      idleInTransactionTimeoutMs: leaseMs,
      keepAliveInitialDelayMs: Math.min(leaseMs, 10_000),
    },
  });
}

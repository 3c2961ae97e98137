import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from './logger.ts';

export type Database = {
  /** Business code and GraphQL resolvers use Prisma. */
  prisma: PrismaClient;
  /** The relay's hot path uses SQL Prisma cannot express (SKIP LOCKED, unnest); same pool, same connections. */
  pool: pg.Pool;
  close(): Promise<void>;
};

/**
 * Every pg client needs an 'error' listener for its whole life: a client whose connection dies while
 * it is checked out (an interactive transaction between two statements, a relay mark, a snapshot read)
 * emits 'error', and with no listener Node kills the process. pg-pool listens only while a client is
 * idle, and adapter-pg only inside its transactions. The lost connection is reported once; the query
 * that runs next on the client fails, and the pool discards the client when it is released.
 */
export function guardClient(
  client: pg.Client | pg.PoolClient,
  logger?: Logger,
  what = 'database connection',
): void {
  let reported = false;
  client.on('error', (error: Error & { code?: string }) => {
    if (reported) return;
    reported = true;
    logger?.warn({ err: error.message, code: error.code }, `${what} lost; the client is discarded`);
  });
}

/**
 * Limits every session of a pool gets from PostgreSQL at connect time (startup parameters), so no
 * statement, lock wait or open transaction of that pool can outlive them; and TCP keepalive, so a
 * connection to a vanished server is noticed instead of waited on forever.
 */
export type SessionLimits = {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  keepAliveInitialDelayMs: number;
};

/** A pg pool of its own, for work that must not wait for (or hold) the connections business code uses. */
export function createPool({
  url,
  maxConnections,
  applicationName = 'petstore-outbox',
  connectionTimeoutMs = 0,
  logger,
  sessionLimits,
}: {
  url: string;
  maxConnections: number;
  applicationName?: string;
  /**
   * How long a caller waits for a connection (0: forever). A caller that gives up is taken out of
   * the pool's queue, so it never holds a connection later for work nobody waits for any more.
   */
  connectionTimeoutMs?: number;
  logger?: Logger;
  sessionLimits?: SessionLimits;
}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    application_name: applicationName,
    connectionTimeoutMillis: connectionTimeoutMs,
    ...(sessionLimits && {
      statement_timeout: sessionLimits.statementTimeoutMs,
      lock_timeout: sessionLimits.lockTimeoutMs,
      idle_in_transaction_session_timeout: sessionLimits.idleInTransactionTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: sessionLimits.keepAliveInitialDelayMs,
    }),
  });
  pool.on('connect', (client) => guardClient(client, logger, `${applicationName} connection`));
  // Idle clients are covered by the listener above; the pool re-emits their errors here, and an
  // 'error' event with no listener would still be thrown.
  pool.on('error', () => {});
  return pool;
}

// NUMERIC and BIGINT come back as strings (pg's default): money and offsets stay exact.
export function createDatabase({
  url,
  maxConnections = 10,
  connectionTimeoutMs = 0,
  transactionOptions,
  logger,
}: {
  url: string;
  maxConnections?: number;
  connectionTimeoutMs?: number;
  /** Prisma interactive transactions: how long one may wait to start (maxWait) and run (timeout). */
  transactionOptions?: { maxWait: number; timeout: number };
  logger?: Logger;
}): Database {
  const pool = createPool({ url, maxConnections, connectionTimeoutMs, logger });
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    // What Prisma picks with NODE_ENV=production, made explicit for every environment: any other
    // format captures a stack trace (\`new Error()\`, async frames included) on every query call,
    // only to quote the caller's source line should that query fail. Errors reach clients masked
    // and the logs with their message and stack either way.
    errorFormat: 'minimal',
    ...(transactionOptions ? { transactionOptions } : {}),
  });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      if (!pool.ended) await pool.end();
    },
  };
}

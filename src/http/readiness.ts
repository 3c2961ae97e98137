import type pg from 'pg';
import { getMigrationStatus } from '../db/migrate.ts';
import type { RelayStatus } from '../outbox/relay/create-relay.ts';

export type CheckResult = { status: 'up' | 'down' | 'degraded' | 'unknown'; [detail: string]: unknown };

export type Readiness = { status: 'ready' | 'not ready'; checks: Record<string, CheckResult> };

const CHECK_TIMEOUT_MS = 2000;
/** Migrations only change on deploys: a good answer is trusted for this long. */
const MIGRATIONS_CACHE_MS = 30_000;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * What `/ready` reports. Only the database decides readiness: without it no request can succeed,
 * while a broker outage is exactly what the outbox absorbs (writes go on, events wait), so the broker
 * and relay are reported, as "degraded" when unwell, without taking the instance out of rotation.
 */
export function createReadinessCheck({
  pool,
  relayStatus,
  relayExpected,
  migrationsDir,
  now = Date.now,
}: {
  pool: pg.Pool;
  relayStatus: () => RelayStatus | null;
  /** Whether this process is configured to run a relay (OUTBOX_RELAY_ENABLED). */
  relayExpected: boolean;
  migrationsDir?: string;
  now?: () => number;
}): () => Promise<Readiness> {
  let migrationsOkUntil = 0;
  let migrationsOk: CheckResult | null = null;

  async function database(): Promise<CheckResult> {
    const started = performance.now();
    try {
      await withTimeout(pool.query('SELECT 1'), CHECK_TIMEOUT_MS, 'the database');
      return { status: 'up', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { status: 'down', error: message(error) };
    }
  }

  async function migrations(databaseUp: boolean): Promise<CheckResult> {
    if (!databaseUp) return { status: 'unknown', reason: 'the database is unreachable' };
    if (migrationsOk && now() < migrationsOkUntil) return migrationsOk;
    try {
      const status = await withTimeout(
        getMigrationStatus({ db: pool, ...(migrationsDir ? { migrationsDir } : {}) }),
        CHECK_TIMEOUT_MS,
        'the migrations table',
      );
      const result: CheckResult = {
        status: status.upToDate ? 'up' : 'down',
        applied: status.applied.length,
        pending: status.pending,
        failed: status.failed,
        edited: status.edited,
      };
      if (status.upToDate) {
        migrationsOk = result;
        migrationsOkUntil = now() + MIGRATIONS_CACHE_MS;
      }
      return result;
    } catch (error) {
      return { status: 'down', error: message(error) };
    }
  }

  function relayAndBroker(): { relay: CheckResult; broker: CheckResult } {
    const status = relayStatus();
    if (!status) {
      const reason = relayExpected ? 'the relay has not been created' : 'no relay runs in this process';
      return {
        relay: { status: relayExpected ? 'down' : 'unknown', reason },
        broker: { status: 'unknown', reason },
      };
    }
    const relayHealthy = status.running && !status.paused;
    return {
      relay: {
        status: status.running ? (relayHealthy ? 'up' : 'degraded') : 'down',
        relayId: status.relayId,
        running: status.running,
        paused: status.paused,
        lastError: status.lastError,
      },
      broker: {
        status: status.kafkaConnected && status.circuitState === 'closed' ? 'up' : 'degraded',
        connected: status.kafkaConnected,
        circuitState: status.circuitState,
      },
    };
  }

  return async () => {
    const db = await database();
    const checks = { database: db, migrations: await migrations(db.status === 'up'), ...relayAndBroker() };
    const ready =
      checks.database.status === 'up' &&
      checks.migrations.status === 'up' &&
      (!relayExpected || checks.relay.status !== 'down');
    return { status: ready ? 'ready' : 'not ready', checks };
  };
}

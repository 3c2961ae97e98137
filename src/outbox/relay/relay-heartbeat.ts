import { hostname } from 'node:os';
import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import type { CircuitState } from './circuit-breaker.ts';

export type RelayMode = 'embedded' | 'standalone';

export type HeartbeatState = {
  circuitState: CircuitState;
  kafkaConnected: boolean;
  lastError: string | null;
};

export type RelayHeartbeat = { start(): Promise<void>; stop(): Promise<void> };

/**
 * Keeps this relay instance's row in `outbox_relay_instances` fresh: written at start, every
 * `intervalMs` after that, and given `stopped_at` on a clean stop. Readers (the live status)
 * call an instance alive while it is not stopped and its heartbeat is younger than a few
 * intervals; a SIGKILLed instance simply goes stale. Failures are logged and retried at the next
 * beat: a missed heartbeat must never stop the relay.
 */
export function createRelayHeartbeat({
  pool,
  relayId,
  mode,
  intervalMs,
  logger,
  state,
}: {
  pool: pg.Pool;
  relayId: string;
  mode: RelayMode;
  intervalMs: number;
  logger: Logger;
  state: () => HeartbeatState;
}): RelayHeartbeat {
  let timer: NodeJS.Timeout | null = null;
  let beating: Promise<void> = Promise.resolve();
  let failing = false;

  async function beat(): Promise<void> {
    const { circuitState, kafkaConnected, lastError } = state();
    try {
      await pool.query(
        `INSERT INTO outbox_relay_instances AS i
           (relay_id, hostname, pid, mode, heartbeat_interval_ms, circuit_state, kafka_connected, last_error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (relay_id) DO UPDATE SET
           heartbeat_at = now(), stopped_at = NULL, circuit_state = $6, kafka_connected = $7, last_error = $8`,
        [relayId, hostname(), process.pid, mode, intervalMs, circuitState, kafkaConnected, lastError],
      );
      if (failing) logger.info('relay heartbeat recorded again');
      failing = false;
    } catch (error) {
      // One line per outage, not one per beat.
      if (!failing) logger.warn({ err: (error as Error).message }, 'relay heartbeat failed');
      failing = true;
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      beating = beat().finally(() => {
        if (timer) schedule();
      });
    }, intervalMs);
    timer.unref();
  }

  return {
    async start() {
      await beat();
      schedule();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await beating;
      await pool
        .query(
          'UPDATE outbox_relay_instances SET stopped_at = now(), heartbeat_at = now() WHERE relay_id = $1',
          [relayId],
        )
        .catch((error: Error) => logger.warn({ err: error.message }, 'could not record the relay stop'));
    },
  };
}

/** Forgets instances that stopped, or went silent, longer than the retention ago. */
export async function purgeStaleRelayInstances(
  pool: pg.Pool,
  { retentionMs }: { retentionMs: number },
): Promise<number> {
  const result = await pool.query(
    `DELETE FROM outbox_relay_instances
     WHERE heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)`,
    [retentionMs],
  );
  return result.rowCount ?? 0;
}

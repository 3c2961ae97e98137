import type pg from 'pg';
import type { Config } from '../../config/env.ts';
import type { Logger } from '../../infra/logger.ts';
import { purgeProcessedEvents } from '../maintenance/purge-processed-events.ts';
import { createOutboxVacuumer } from '../maintenance/vacuum-outbox.ts';
import { errorMessage } from './broker-errors.ts';
import {
  createRelayHeartbeat,
  type HeartbeatState,
  purgeStaleRelayInstances,
  type RelayMode,
} from './relay-heartbeat.ts';

export type RelayMaintenance = {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Counts rows the relay changed, for the vacuum's threshold. */
  noteChanged(rows: number): void;
};

/**
 * The relay's housekeeping, beside the publishing: its heartbeat in `outbox_relay_instances`, the
 * purge of processed rows past OUTBOX_RETENTION_DAYS (and of long-stale instances), and VACUUM of
 * the outbox table past OUTBOX_VACUUM_DEAD_ROWS dead rows. The purge and the vacuum run one
 * instance at a time (advisory try-locks); a failure is logged and tried again next time.
 */
export function createRelayMaintenance({
  pool,
  relayId,
  mode,
  config,
  log,
  state,
}: {
  pool: pg.Pool;
  relayId: string;
  mode: RelayMode;
  config: Pick<Config, 'outbox'>;
  log: Logger;
  state: () => HeartbeatState;
}): RelayMaintenance {
  const heartbeat = createRelayHeartbeat({
    pool,
    relayId,
    mode,
    intervalMs: config.outbox.heartbeatIntervalMs,
    logger: log,
    state,
  });
  const vacuumer = createOutboxVacuumer({ pool, deadRowThreshold: config.outbox.vacuumDeadRows, log });
  let running = false;
  let retentionTimer: NodeJS.Timeout | null = null;
  let retentionRun: Promise<void> = Promise.resolve();

  async function purge(): Promise<void> {
    try {
      const retention = {
        retentionMs: config.outbox.retentionMs,
        batchSize: config.outbox.retentionBatchSize,
      };
      const outcome = await purgeProcessedEvents(pool, retention);
      await purgeStaleRelayInstances(pool, retention);
      if (outcome.deleted > 0) log.info({ deleted: outcome.deleted }, 'purged processed outbox rows');
    } catch (error) {
      log.warn({ err: errorMessage(error) }, 'outbox retention run failed');
    }
  }

  function scheduleRetention(): void {
    if (config.outbox.retentionMs <= 0) return; // OUTBOX_RETENTION_DAYS=0: keep everything
    retentionTimer = setTimeout(() => {
      retentionRun = purge().finally(() => {
        if (running) scheduleRetention();
      });
    }, config.outbox.retentionIntervalMs);
    retentionTimer.unref();
  }

  return {
    async start() {
      running = true;
      await heartbeat.start();
      scheduleRetention();
    },
    async stop() {
      running = false;
      if (retentionTimer) clearTimeout(retentionTimer);
      await retentionRun;
      await vacuumer.settle();
      await heartbeat.stop();
    },
    noteChanged: (rows) => vacuumer.noteChanged(rows),
  };
}

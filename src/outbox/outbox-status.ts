import type pg from 'pg';
import type { RelayStatus } from './relay.ts';

export type OutboxStatus = {
  pendingEvents: number;
  failedEvents: number;
  processedToday: number;
  running: boolean;
  kafkaConnected: boolean;
  serviceStatus: 'running' | 'degraded' | 'stopped';
  kafkaStatus: 'connected' | 'disconnected' | 'unknown';
  circuitState: RelayStatus['circuitState'] | 'unknown';
  paused: boolean;
  timestamp: Date;
};

export type OutboxStatusReader = { read(): Promise<OutboxStatus> };

/**
 * The design document's metrics. Pending and failed rows are counted through the partial index
 * on unpublished rows, so the cost follows the backlog, not the table's history.
 */
export function createOutboxStatusReader({
  pool,
  relayStatus,
}: {
  pool: pg.Pool;
  /** The in-process relay's status, or null when this process runs none. */
  relayStatus: () => RelayStatus | null;
}): OutboxStatusReader {
  return {
    async read() {
      const { rows } = await pool.query<{ pending: number; failed: number; processed_today: number }>(
        `SELECT
           (SELECT count(*) FROM outbox_events WHERE status = 'pending')::int AS pending,
           (SELECT count(*) FROM outbox_events WHERE status = 'failed')::int AS failed,
           (SELECT count(*) FROM outbox_events
             WHERE status = 'published' AND processed_at >= date_trunc('day', now()))::int AS processed_today`,
      );
      const counts = rows[0] ?? { pending: 0, failed: 0, processed_today: 0 };
      const relay = relayStatus();
      const running = relay?.running ?? false;
      const kafkaConnected = relay?.kafkaConnected ?? false;
      return {
        pendingEvents: counts.pending,
        failedEvents: counts.failed,
        processedToday: counts.processed_today,
        running,
        kafkaConnected,
        serviceStatus: !relay
          ? 'running'
          : running && kafkaConnected
            ? 'running'
            : running
              ? 'degraded'
              : 'stopped',
        kafkaStatus: !relay ? 'unknown' : kafkaConnected ? 'connected' : 'disconnected',
        circuitState: relay?.circuitState ?? 'unknown',
        paused: relay?.paused ?? false,
        timestamp: new Date(),
      };
    },
  };
}

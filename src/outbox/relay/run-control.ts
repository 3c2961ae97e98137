import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { createPgListener } from '../../infra/pg-listener.ts';
import { readRelayControl } from '../admin/read-relay-control.ts';
import { PENDING_CHANNEL, RELAY_CONTROL_CHANNEL } from '../notification-channels.ts';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.ts';
import { WakeSignal } from './wake-signal.ts';

export type RunControl = {
  readonly breaker: CircuitBreaker;
  readonly localPaused: boolean;
  readonly pausedGlobally: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Re-reads the database-wide pause switch if a notification (or a failure) said it may have changed. */
  refresh(): Promise<void>;
  /** The switch is to be read again before the next batch. */
  markStale(): void;
  /** Sleeps until new events or a control change are announced, or `timeoutMs` passes. */
  waitForWork(timeoutMs: number): Promise<void>;
  wake(): void;
};

/**
 * Whether the relay may work, and when to look again: the local pause (this instance), the
 * database-wide switch `outbox_relay_control` (every instance; the claim itself honours it, this
 * only keeps the status and the log current), the circuit breaker in front of the broker, and the
 * `outbox_pending` / control notifications that wake the relay within milliseconds of a commit.
 */
export function createRunControl({
  pool,
  databaseUrl,
  log,
  circuitBreaker,
  onCircuitChange,
  onPausedChange,
}: {
  pool: pg.Pool;
  databaseUrl: string;
  log: Logger;
  circuitBreaker?: CircuitBreakerOptions;
  onCircuitChange?: (state: CircuitState) => void;
  onPausedChange?: (paused: boolean) => void;
}): RunControl {
  const breaker = new CircuitBreaker(log, circuitBreaker);
  if (onCircuitChange) breaker.onChange(onCircuitChange);
  const signal = new WakeSignal();
  let localPaused = false;
  let pausedGlobally = false;
  let stale = true;

  const listener = createPgListener({
    url: databaseUrl,
    channels: [PENDING_CHANNEL, RELAY_CONTROL_CHANNEL],
    logger: log,
    onNotification: (channel) => {
      if (channel === RELAY_CONTROL_CHANNEL) stale = true;
      signal.wake();
    },
    onReconnect: () => {
      stale = true;
      signal.wake();
    },
  });

  async function refresh(): Promise<void> {
    if (!stale) return;
    stale = false;
    const control = await readRelayControl(pool);
    if (control.paused === pausedGlobally) return;
    pausedGlobally = control.paused;
    if (control.paused)
      log.info({ pausedBy: control.pausedBy, reason: control.reason }, 'relay paused (all instances)');
    else log.info('relay resumed (all instances)');
    onPausedChange?.(control.paused);
  }

  return {
    breaker,
    get localPaused() {
      return localPaused;
    },
    get pausedGlobally() {
      return pausedGlobally;
    },
    async start() {
      await listener.start();
      await refresh().catch((error: Error) => {
        stale = true;
        log.warn({ err: error.message }, 'could not read the pause switch yet');
      });
    },
    stop: () => listener.stop(),
    pause() {
      localPaused = true;
      log.info('relay paused (this instance)');
    },
    resume() {
      localPaused = false;
      signal.wake();
      log.info('relay resumed (this instance)');
    },
    refresh,
    markStale() {
      stale = true;
    },
    waitForWork: (timeoutMs) => signal.wait(timeoutMs),
    wake: () => signal.wake(),
  };
}

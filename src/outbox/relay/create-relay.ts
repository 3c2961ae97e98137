import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Config } from '../../config/env.ts';
import type { Logger } from '../../infra/logger.ts';
import { createAnnouncer } from '../announcer.ts';
import { PUBLISHED_CHANNEL } from '../notification-channels.ts';
import type { CircuitBreakerOptions, CircuitState } from './circuit-breaker.ts';
import { createBatchClaimer } from './claim-batch.ts';
import { type ClaimTransaction, openClaimTransaction } from './claim-transaction.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import { createRelayMaintenance } from './maintenance.ts';
import type { PublishedRange } from './mark-published.ts';
import { createBatchPublisher, type PublishOutcome } from './publish-batch.ts';
import type { EventPublisher, Publication } from './publish-events.ts';
import type { RelayMode } from './relay-heartbeat.ts';
import { createRelayLoop } from './relay-loop.ts';
import { createRunControl } from './run-control.ts';
import { settleBatch } from './settle-batch.ts';
import type { FailureOutcome } from './settle-failures.ts';

export type RelayStatus = {
  relayId: string;
  running: boolean;
  /** Paused here (`pause()`) or everywhere (`pauseRelay`). */
  paused: boolean;
  /** Paused for every instance through the database's switch, as last read. */
  pausedGlobally: boolean;
  kafkaConnected: boolean;
  circuitState: CircuitState;
  lastError: string | null;
};

export type RelayObserver = {
  /** Events acknowledged by Kafka and marked published by this relay. */
  onPublished?(publications: readonly Publication[], range: PublishedRange, durationMs: number): void;
  onRetry?(event: ClaimedEvent, error: string, outcome?: FailureOutcome): void;
  onFailed?(event: ClaimedEvent, error: string): void;
  onCircuitChange?(state: CircuitState): void;
  /** The database-wide pause switch changed, as this relay saw it. */
  onPausedChange?(paused: boolean): void;
};

export type Relay = {
  readonly id: string;
  start(): Promise<void>;
  /** Finishes the batches in flight, then stops; the producer and the pool are closed by their owner. */
  stop(): Promise<void>;
  /** Pauses this instance only (pauseRelay pauses every instance). */
  pause(): void;
  resume(): void;
  status(): RelayStatus;
  /** Runs claim → publish → mark once; for tests and tools. Returns how many events it claimed. */
  runOnce(): Promise<number>;
};

/**
 * The outbox relay: publishes pending events to Kafka in each aggregate's order and marks them
 * published. createOutboxService (src/outbox-service/) builds it for the server, for `npm run relay`
 * and for the tests alike. Its parts, one job each (src/outbox/relay/):
 *
 * - claim (claim-transaction.ts, claim-batch.ts): a batch row-locked in a transaction that
 *   stays open until the batch is marked; the locks are the claim;
 * - leases (keep-claim-alive.ts, relay-pool.ts): the claim lasts while the relay runs, and ends
 *   with its session when it stops (crash, SIGSTOP, partition) after OUTBOX_LEASE_TIMEOUT at most;
 * - publish (publish-batch.ts): one send per batch, the culprit isolated when the broker refuses;
 * - mark (settle-batch.ts, mark-published.ts): one UPDATE per event in the claim's transaction,
 *   numbered without a global lock, announced to listeners after its commit (../announcer.ts);
 * - control (run-control.ts): pause, the database-wide switch, the circuit breaker, wake-ups;
 * - loop (relay-loop.ts): up to two batches in flight, so claiming and sending overlap;
 * - maintenance (maintenance.ts): heartbeat, retention purge, vacuum.
 *
 * Delivery is at least once: an event acknowledged by Kafka whose mark did not commit (a crash, a
 * database outage) is published again by the next claim, with the same event id. Consumers
 * deduplicate by that id (src/inbox/handle-once.ts).
 *
 * `pool` should come from createRelayPool (src/outbox/relay/relay-pool.ts): its session limits are
 * what make a frozen relay release its claims.
 */
export function createRelay({
  pool,
  publisher,
  config,
  logger,
  relayId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
  mode = 'embedded',
  observer = {},
  circuitBreaker,
}: {
  pool: pg.Pool;
  publisher: EventPublisher;
  config: Pick<Config, 'outbox' | 'database'>;
  logger: Logger;
  relayId?: string;
  mode?: RelayMode;
  observer?: RelayObserver;
  circuitBreaker?: CircuitBreakerOptions;
}): Relay {
  const log = logger.child({ component: 'relay', relayId });
  const { batchSize, pollingIntervalMs, leaseTimeoutMs, maxRetries } = config.outbox;
  const retry = {
    maxRetries,
    backoff: { baseDelayMs: config.outbox.retryBaseDelayMs, maxDelayMs: config.outbox.retryMaxDelayMs },
  };
  let running = false;
  let lastError: string | null = null;

  const control = createRunControl({
    pool,
    databaseUrl: config.database.url,
    log,
    circuitBreaker,
    onCircuitChange: (state) => observer.onCircuitChange?.(state),
    onPausedChange: (paused) => observer.onPausedChange?.(paused),
  });
  const batchPublisher = createBatchPublisher({
    publisher,
    breaker: control.breaker,
    onError: (message) => {
      lastError = message;
    },
  });
  const claimer = createBatchClaimer({ batchSize });
  const announcer = createAnnouncer({ pool, channel: PUBLISHED_CHANNEL, log });
  const maintenance = createRelayMaintenance({
    pool,
    relayId,
    mode,
    config,
    log,
    state: () => ({
      circuitState: control.breaker.state,
      kafkaConnected: batchPublisher.connected,
      lastError,
    }),
  });

  async function settle(claim: ClaimTransaction, outcome: PublishOutcome): Promise<void> {
    const started = performance.now();
    const settled = await settleBatch({ claim, outcome, retry, log });
    if (settled.marked) {
      announcer.announce();
      maintenance.noteChanged(settled.marked.marked.length);
      observer.onPublished?.(settled.marked.marked, settled.marked.range, performance.now() - started);
      if (log.isLevelEnabled('debug')) {
        for (const { event, partition, offset } of settled.marked.marked) {
          log.debug(
            { eventId: event.id, correlationId: event.correlationId, topic: event.topic, partition, offset },
            'event published',
          );
        }
      }
    }
    for (const { event, error, outcome: failure } of settled.failures) {
      const context = { eventId: event.id, correlationId: event.correlationId, err: error };
      if (!failure) {
        log.warn(context, 'publish failed for an event that is no longer pending');
      } else if (failure.status === 'failed') {
        log.error({ ...context, retryCount: failure.retryCount }, 'event failed for good (dead letter)');
        observer.onFailed?.(event, error);
      } else {
        log.warn(
          { ...context, retryCount: failure.retryCount, nextAttemptInMs: failure.nextAttemptInMs },
          'publish failed; will retry',
        );
        observer.onRetry?.(event, error, failure);
      }
    }
  }

  const loop = createRelayLoop({
    control,
    publisher: batchPublisher,
    claim: () => openClaimTransaction({ pool, claimer, leaseMs: leaseTimeoutMs, log }),
    settle,
    pollingIntervalMs,
    log,
    onError: (message) => {
      lastError = message;
    },
  });

  return {
    id: relayId,
    async start() {
      if (running) return;
      running = true;
      await control.start();
      await maintenance.start();
      await batchPublisher.probe();
      log.info(
        { batchSize, pollingIntervalMs, mode, pausedGlobally: control.pausedGlobally },
        'relay started',
      );
      loop.start();
    },
    async stop() {
      if (!running) return;
      running = false;
      await loop.stop();
      await announcer.settled();
      await maintenance.stop();
      await control.stop();
      log.info('relay stopped');
    },
    pause: () => control.pause(),
    resume: () => control.resume(),
    status: () => ({
      relayId,
      running,
      paused: control.localPaused || control.pausedGlobally,
      pausedGlobally: control.pausedGlobally,
      kafkaConnected: batchPublisher.connected,
      circuitState: control.breaker.state,
      lastError,
    }),
    runOnce: () => loop.runOnce(),
  };
}

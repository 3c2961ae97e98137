import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Config } from '../config/env.ts';
import type { Logger } from '../infra/logger.ts';
import { createPgListener } from '../infra/pg-listener.ts';
import { errorMessage, isBrokerUnavailable } from './broker-errors.ts';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.ts';
import { claimBatch } from './claim-batch.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import { markPublished, type PublishedRange } from './mark-published.ts';
import type { EventPublisher, Publication } from './publish-events.ts';
import { recordPublishFailure, releaseClaims } from './settle-failures.ts';
import { WakeSignal } from './wake-signal.ts';

/** Sent by the trigger on `outbox_events` at the commit of every transaction that added events. */
export const PENDING_CHANNEL = 'outbox_pending';

export type RelayStatus = {
  relayId: string;
  running: boolean;
  paused: boolean;
  kafkaConnected: boolean;
  circuitState: CircuitState;
  lastError: string | null;
};

export type RelayObserver = {
  onPublished?(publications: readonly Publication[], range: PublishedRange, durationMs: number): void;
  onRetry?(event: ClaimedEvent, error: string): void;
  onFailed?(event: ClaimedEvent, error: string): void;
  onCircuitChange?(state: CircuitState): void;
};

export type Relay = {
  readonly id: string;
  start(): Promise<void>;
  /** Finishes the batch in flight, then stops; the producer is disconnected by its owner. */
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
  status(): RelayStatus;
  /** Runs claim → publish → mark once; for tests and tools. Returns how many events it handled. */
  runOnce(): Promise<number>;
};

/**
 * The outbox relay: publishes pending events to Kafka in each aggregate's order and marks them
 * published. Woken by `outbox_pending` notifications within milliseconds of a commit; polls every
 * OUTBOX_POLLING_INTERVAL as well, so a lost notification delays an event, never loses it.
 */
export function createRelay({
  pool,
  publisher,
  config,
  logger,
  relayId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
  observer = {},
  circuitBreaker,
}: {
  pool: pg.Pool;
  publisher: EventPublisher;
  config: Pick<Config, 'outbox' | 'database'>;
  logger: Logger;
  relayId?: string;
  observer?: RelayObserver;
  circuitBreaker?: CircuitBreakerOptions;
}): Relay {
  const log = logger.child({ component: 'relay', relayId });
  const breaker = new CircuitBreaker(log, circuitBreaker);
  breaker.onChange((state) => observer.onCircuitChange?.(state));
  const signal = new WakeSignal();
  const listener = createPgListener({
    url: config.database.url,
    channels: [PENDING_CHANNEL],
    logger: log,
    onNotification: () => signal.wake(),
    onReconnect: () => signal.wake(),
  });
  const { batchSize, pollingIntervalMs, leaseTimeoutMs, maxRetries } = config.outbox;
  const backoff = { baseDelayMs: config.outbox.retryBaseDelayMs, maxDelayMs: config.outbox.retryMaxDelayMs };

  let running = false;
  let paused = false;
  let kafkaConnected = false;
  let lastError: string | null = null;
  let loop: Promise<void> | null = null;

  async function ensureConnected(): Promise<void> {
    if (kafkaConnected) return;
    await publisher.connect();
    kafkaConnected = true;
  }

  async function publishWithIsolation(events: ClaimedEvent[]): Promise<number> {
    const started = performance.now();
    try {
      await ensureConnected();
      const publications = await publisher.publish(events);
      await settlePublished(publications, started);
      breaker.recordSuccess();
      return events.length;
    } catch (error) {
      if (isBrokerUnavailable(error)) {
        kafkaConnected = false;
        lastError = errorMessage(error);
        breaker.recordBrokerFailure(lastError);
        await releaseClaims(pool, events, relayId);
        return 0;
      }
      // The broker answered but refused something in the batch: find the culprit one event at a time.
      return publishOneByOne(events);
    }
  }

  /**
   * Used after a batch was refused: each aggregate's events are sent singly, in order; at the first
   * failure of an aggregate that event is charged a retry and the rest of the aggregate is released,
   * so nothing overtakes it. Other aggregates go on.
   */
  async function publishOneByOne(events: ClaimedEvent[]): Promise<number> {
    let published = 0;
    const blockedAggregates = new Set<string>();
    for (const [index, event] of events.entries()) {
      const aggregateKey = `${event.aggregateType}\u0000${event.aggregateId}`;
      if (blockedAggregates.has(aggregateKey)) {
        await releaseClaims(pool, [event], relayId);
        continue;
      }
      const started = performance.now();
      try {
        const publications = await publisher.publish([event]);
        await settlePublished(publications, started);
        published += 1;
      } catch (error) {
        const message = errorMessage(error);
        lastError = message;
        if (isBrokerUnavailable(error)) {
          kafkaConnected = false;
          breaker.recordBrokerFailure(message);
          await releaseClaims(pool, events.slice(index), relayId);
          return published;
        }
        blockedAggregates.add(aggregateKey);
        const outcome = await recordPublishFailure(pool, event, message, { maxRetries, backoff });
        if (outcome.status === 'failed') {
          log.error(
            { eventId: event.id, correlationId: event.correlationId, err: message },
            'event failed for good',
          );
          observer.onFailed?.(event, message);
        } else {
          log.warn(
            { eventId: event.id, correlationId: event.correlationId, err: message, ...outcome },
            'publish failed; will retry',
          );
          observer.onRetry?.(event, message);
        }
      }
    }
    return published;
  }

  async function settlePublished(publications: Publication[], started: number): Promise<void> {
    const range = await markPublished(pool, publications);
    if (!range) return;
    const durationMs = performance.now() - started;
    observer.onPublished?.(publications, range, durationMs);
    for (const { event, partition, offset } of publications) {
      log.debug(
        { eventId: event.id, correlationId: event.correlationId, topic: event.topic, partition, offset },
        'event published',
      );
    }
  }

  async function probeBroker(): Promise<boolean> {
    try {
      await ensureConnected();
      breaker.recordSuccess();
      return true;
    } catch (error) {
      lastError = errorMessage(error);
      breaker.recordBrokerFailure(lastError);
      return false;
    }
  }

  async function runOnce(): Promise<number> {
    const events = await claimBatch(pool, { relayId, batchSize, leaseMs: leaseTimeoutMs });
    if (events.length === 0) return 0;
    return publishWithIsolation(events);
  }

  async function runLoop(): Promise<void> {
    while (running) {
      if (paused) {
        await signal.wait(pollingIntervalMs);
        continue;
      }
      if (!breaker.allowsAttempt()) {
        await signal.wait(Math.min(pollingIntervalMs, breaker.msUntilProbe() || pollingIntervalMs));
        continue;
      }
      let handled = 0;
      try {
        // While the broker is away, probe it with a connection attempt rather than by claiming events.
        if (!kafkaConnected && !(await probeBroker())) continue;
        handled = await runOnce();
      } catch (error) {
        // The database is the usual suspect here; the loop survives and tries again after a pause.
        lastError = errorMessage(error);
        log.error({ err: lastError }, 'relay iteration failed');
        await signal.wait(pollingIntervalMs);
        continue;
      }
      // A full batch means more is probably waiting: go on at once. Otherwise sleep until woken.
      if (handled < batchSize && running) await signal.wait(pollingIntervalMs);
    }
  }

  return {
    id: relayId,
    async start() {
      if (running) return;
      running = true;
      await listener.start();
      await probeBroker();
      log.info({ batchSize, pollingIntervalMs }, 'relay started');
      loop = runLoop();
    },
    async stop() {
      if (!running) return;
      running = false;
      signal.wake();
      await loop;
      await listener.stop();
      log.info('relay stopped');
    },
    pause() {
      paused = true;
      log.info('relay paused');
    },
    resume() {
      paused = false;
      signal.wake();
      log.info('relay resumed');
    },
    status: () => ({ relayId, running, paused, kafkaConnected, circuitState: breaker.state, lastError }),
    runOnce,
  };
}

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Config } from '../config/env.ts';
import type { Logger } from '../infra/logger.ts';
import { createPgListener } from '../infra/pg-listener.ts';
import { errorMessage, isBrokerUnavailable } from './broker-errors.ts';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.ts';
import { createBatchClaimer } from './claim-batch.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import { markPublished, type PublishedRange } from './mark-published.ts';
import type { EventPublisher, Publication } from './publish-events.ts';
import { purgeProcessedEvents } from './purge-processed-events.ts';
import { readRelayControl } from './read-relay-control.ts';
import { RELAY_CONTROL_CHANNEL } from './relay-control.ts';
import { createRelayHeartbeat, purgeStaleRelayInstances, type RelayMode } from './relay-heartbeat.ts';
import { renewLeases } from './renew-leases.ts';
import { type FailureOutcome, recordPublishFailure, releaseClaims } from './settle-failures.ts';
import { createOutboxVacuumer } from './vacuum-outbox.ts';
import { WakeSignal } from './wake-signal.ts';

/** Sent by the trigger on `outbox_events` at the commit of every transaction that added events, and by replays. */
export const PENDING_CHANNEL = 'outbox_pending';

/** How often a mark that failed (database trouble) is tried again before the batch is left to its lease. */
const MARK_ATTEMPTS = 5;

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
  /** Events acknowledged by Kafka and marked published by this relay (duplicates another relay marked first excluded). */
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
  /** Finishes the batch in flight, then stops; the producer is disconnected by its owner. */
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
 * published. Woken by `outbox_pending` notifications within milliseconds of a commit; polls every
 * OUTBOX_POLLING_INTERVAL as well, so a lost notification delays an event, never loses it.
 *
 * Delivery is at least once: an event acknowledged by Kafka whose row could not be marked (a crash,
 * a database outage longer than the mark's retries) is published again once its lease runs out,
 * with the same event id. Consumers deduplicate by that id (src/inbox/handle-once.ts).
 *
 * While a batch is in flight its lease is renewed every third of OUTBOX_LEASE_TIMEOUT, so a slow
 * publish (kafkajs may retry a request for tens of seconds) does not let another relay take the
 * same events over; only a relay that stopped renewing (crashed, or cut off from the database)
 * loses its claims. Each instance also heartbeats in `outbox_relay_instances`, purges processed
 * rows past OUTBOX_RETENTION_DAYS and vacuums the outbox table past OUTBOX_VACUUM_DEAD_ROWS dead
 * rows (each of these one instance at a time).
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
  const breaker = new CircuitBreaker(log, circuitBreaker);
  breaker.onChange((state) => observer.onCircuitChange?.(state));
  const signal = new WakeSignal();
  const { batchSize, pollingIntervalMs, leaseTimeoutMs, maxRetries } = config.outbox;
  const claimer = createBatchClaimer({ pool, relayId, batchSize, leaseMs: leaseTimeoutMs });
  const backoff = { baseDelayMs: config.outbox.retryBaseDelayMs, maxDelayMs: config.outbox.retryMaxDelayMs };

  let running = false;
  let localPaused = false;
  let pausedGlobally = false;
  let controlStale = true;
  let kafkaConnected = false;
  let lastError: string | null = null;
  let loop: Promise<void> | null = null;
  let retentionTimer: NodeJS.Timeout | null = null;
  let retentionRun: Promise<void> = Promise.resolve();

  const listener = createPgListener({
    url: config.database.url,
    channels: [PENDING_CHANNEL, RELAY_CONTROL_CHANNEL],
    logger: log,
    onNotification: (channel) => {
      if (channel === RELAY_CONTROL_CHANNEL) controlStale = true;
      signal.wake();
    },
    onReconnect: () => {
      controlStale = true;
      signal.wake();
    },
  });
  const heartbeat = createRelayHeartbeat({
    pool,
    relayId,
    mode,
    intervalMs: config.outbox.heartbeatIntervalMs,
    logger: log,
    state: () => ({ circuitState: breaker.state, kafkaConnected, lastError }),
  });
  const vacuumer = createOutboxVacuumer({
    pool,
    deadRowThreshold: config.outbox.vacuumDeadRows,
    log,
  });

  async function ensureConnected(): Promise<void> {
    if (kafkaConnected) return;
    await publisher.connect();
    kafkaConnected = true;
  }

  /** The claim itself honours the pause; this only keeps status() and the log up to date. */
  async function refreshControl(): Promise<void> {
    if (!controlStale) return;
    controlStale = false;
    const control = await readRelayControl(pool);
    if (control.paused !== pausedGlobally) {
      pausedGlobally = control.paused;
      if (control.paused)
        log.info({ pausedBy: control.pausedBy, reason: control.reason }, 'relay paused (all instances)');
      else log.info('relay resumed (all instances)');
      observer.onPausedChange?.(control.paused);
    }
  }

  /** Renews the lease on a batch while it is being published and marked. */
  function holdLeases(events: readonly ClaimedEvent[]): () => Promise<void> {
    const eventIds = events.map((event) => event.id);
    let stopped = false;
    let renewing: Promise<void> = Promise.resolve();
    let warned = false;
    const every = Math.max(100, Math.floor(leaseTimeoutMs / 3));
    let timer: NodeJS.Timeout = setTimeout(function renew() {
      renewing = renewLeases(pool, { relayId, eventIds, leaseMs: leaseTimeoutMs })
        .then(({ takenOver }) => {
          if (takenOver > 0 && !warned) {
            warned = true;
            log.warn(
              { takenOver },
              'lease lost: another relay took over events of this batch; they may be published twice',
            );
          }
        })
        .catch((error: Error) => log.warn({ err: error.message }, 'lease renewal failed'))
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

  /**
   * Marks acknowledged events, retrying database trouble a few times: the events are on Kafka, so
   * giving up means they go out again after the lease (at-least-once), never that they are lost.
   */
  async function settlePublished(publications: Publication[], started: number): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await markPublished(pool, publications);
        if (!result) return;
        vacuumer.noteChanged(result.marked.length);
        observer.onPublished?.(result.marked, result.range, performance.now() - started);
        for (const { event, partition, offset } of result.marked) {
          log.debug(
            { eventId: event.id, correlationId: event.correlationId, topic: event.topic, partition, offset },
            'event published',
          );
        }
        return;
      } catch (error) {
        lastError = errorMessage(error);
        if (attempt >= MARK_ATTEMPTS) {
          log.error(
            { err: lastError, events: publications.length },
            'events are on Kafka but could not be marked published; they will be published again after their lease',
          );
          throw error;
        }
        log.warn({ err: lastError, attempt }, 'marking published events failed; retrying');
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
  }

  async function publishWithIsolation(events: ClaimedEvent[]): Promise<void> {
    const started = performance.now();
    let publications: Publication[];
    try {
      await ensureConnected();
      publications = await publisher.publish(events);
    } catch (error) {
      if (isBrokerUnavailable(error)) {
        kafkaConnected = false;
        lastError = errorMessage(error);
        breaker.recordBrokerFailure(lastError);
        await releaseClaims(pool, events, relayId);
        return;
      }
      // The broker answered but refused something in the batch: find the culprit one event at a time.
      await publishOneByOne(events);
      return;
    }
    breaker.recordSuccess();
    await settlePublished(publications, started);
  }

  /**
   * Used after a batch was refused: each aggregate's events are sent singly, in order; at the first
   * failure of an aggregate that event is charged a retry and the rest of the aggregate is released,
   * so nothing overtakes it. Other aggregates go on.
   */
  async function publishOneByOne(events: ClaimedEvent[]): Promise<void> {
    const blockedAggregates = new Set<string>();
    for (const [index, event] of events.entries()) {
      const aggregateKey = `${event.aggregateType}\u0000${event.aggregateId}`;
      if (blockedAggregates.has(aggregateKey)) {
        await releaseClaims(pool, [event], relayId);
        continue;
      }
      const started = performance.now();
      let publications: Publication[];
      try {
        publications = await publisher.publish([event]);
      } catch (error) {
        const message = errorMessage(error);
        lastError = message;
        if (isBrokerUnavailable(error)) {
          kafkaConnected = false;
          breaker.recordBrokerFailure(message);
          await releaseClaims(pool, events.slice(index), relayId);
          return;
        }
        blockedAggregates.add(aggregateKey);
        const outcome = await recordPublishFailure(pool, event, message, { relayId, maxRetries, backoff });
        const context = { eventId: event.id, correlationId: event.correlationId, err: message };
        if (!outcome) {
          log.warn(context, 'publish failed after this relay lost the lease; the new holder decides');
        } else if (outcome.status === 'failed') {
          log.error({ ...context, retryCount: outcome.retryCount }, 'event failed for good (dead letter)');
          observer.onFailed?.(event, message);
        } else {
          log.warn(
            { ...context, retryCount: outcome.retryCount, nextAttemptInMs: outcome.nextAttemptInMs },
            'publish failed; will retry',
          );
          observer.onRetry?.(event, message, outcome);
        }
        continue;
      }
      breaker.recordSuccess();
      await settlePublished(publications, started);
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
    const events = await claimer.claim();
    if (events.length === 0) return 0;
    const release = holdLeases(events);
    try {
      await publishWithIsolation(events);
    } finally {
      await release();
    }
    return events.length;
  }

  async function runLoop(): Promise<void> {
    while (running) {
      if (localPaused) {
        await signal.wait(pollingIntervalMs);
        continue;
      }
      if (!breaker.allowsAttempt()) {
        await signal.wait(Math.min(pollingIntervalMs, breaker.msUntilProbe() || pollingIntervalMs));
        continue;
      }
      let claimed = 0;
      try {
        await refreshControl();
        // While the broker is away, probe it with a connection attempt rather than by claiming events.
        if (!kafkaConnected && !(await probeBroker())) continue;
        claimed = await runOnce();
      } catch (error) {
        // The database is the usual suspect here; the loop survives and tries again after a pause.
        lastError = errorMessage(error);
        controlStale = true;
        log.error({ err: lastError }, 'relay iteration failed');
        await signal.wait(pollingIntervalMs);
        continue;
      }
      // Something claimed means more may be waiting (claims can come out smaller than a batch when
      // a few aggregates hold the backlog): go on at once. Nothing claimed: sleep until woken.
      if (claimed === 0 && running) {
        await signal.wait(pollingIntervalMs);
        controlStale = true;
      }
    }
  }

  function scheduleRetention(): void {
    if (config.outbox.retentionMs <= 0) return; // OUTBOX_RETENTION_DAYS=0: keep everything
    retentionTimer = setTimeout(() => {
      retentionRun = (async () => {
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
      })().finally(() => {
        if (running) scheduleRetention();
      });
    }, config.outbox.retentionIntervalMs);
    retentionTimer.unref();
  }

  return {
    id: relayId,
    async start() {
      if (running) return;
      running = true;
      await listener.start();
      await heartbeat.start();
      await refreshControl().catch((error: Error) => {
        controlStale = true;
        log.warn({ err: error.message }, 'could not read the pause switch yet');
      });
      await probeBroker();
      log.info({ batchSize, pollingIntervalMs, mode, pausedGlobally }, 'relay started');
      loop = runLoop();
      scheduleRetention();
    },
    async stop() {
      if (!running) return;
      running = false;
      if (retentionTimer) clearTimeout(retentionTimer);
      signal.wake();
      await loop;
      await retentionRun;
      await vacuumer.settle();
      await heartbeat.stop();
      await listener.stop();
      log.info('relay stopped');
    },
    pause() {
      localPaused = true;
      log.info('relay paused (this instance)');
    },
    resume() {
      localPaused = false;
      signal.wake();
      log.info('relay resumed (this instance)');
    },
    status: () => ({
      relayId,
      running,
      paused: localPaused || pausedGlobally,
      pausedGlobally,
      kafkaConnected,
      circuitState: breaker.state,
      lastError,
    }),
    runOnce,
  };
}

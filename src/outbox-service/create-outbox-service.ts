import type pg from 'pg';
import type { Config } from '../config/env.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { createDatabase, createPool, type Database } from '../infra/db.ts';
import { createKafka } from '../infra/kafka.ts';
import { createLogger, type Logger } from '../infra/logger.ts';
import { createOutboxAdmin, type OutboxAdmin } from '../outbox/admin/outbox-admin.ts';
import { createAnnouncer } from '../outbox/announcer.ts';
import { type EnqueuedEvent, enqueueOutboxEvent, type TransactionClient } from '../outbox/enqueue.ts';
import { createPublishedFeed, type PublishedFeed } from '../outbox/feed/published-feed.ts';
import { PENDING_CHANNEL } from '../outbox/notification-channels.ts';
import type { CircuitBreakerOptions } from '../outbox/relay/circuit-breaker.ts';
import { createRelay, type Relay, type RelayObserver } from '../outbox/relay/create-relay.ts';
import { createConfiguredPublisher, type EventPublisher } from '../outbox/relay/publish-events.ts';
import type { RelayMode } from '../outbox/relay/relay-heartbeat.ts';
import { createRelayPool } from '../outbox/relay/relay-pool.ts';
import { createOutboxSampler } from '../outbox/status/outbox-sampler.ts';
import type { OutboxSnapshotSource } from '../outbox/status/outbox-snapshot.ts';
import {
  createOutboxStatusReader,
  type OutboxState,
  type OutboxStatus,
  type OutboxStatusReader,
} from '../outbox/status/outbox-status.ts';
import {
  InvalidOutboxEventError,
  type OrderEventInput,
  type OutboxEventInput,
  type PetEventInput,
  toOutboxRow,
  type UserEventInput,
} from './outbox-event.ts';

/** How long a caller waits for a database connection before it fails. */
const CONNECTION_TIMEOUT_MS = 5000;
/** How long a transaction (`withTransaction`) may run. */
const TRANSACTION_TIMEOUT_MS = 15_000;
/** The sampler's reads and readiness checks: a check that cannot get a connection quickly reports the database as down. */
const STATUS_CONNECTION_TIMEOUT_MS = 2000;

export type RelayOptions = {
  /** `embedded` beside an API (the default), `standalone` for a process that only relays. */
  mode?: RelayMode;
  relayId?: string;
  /** Told about every publication, retry, dead letter, circuit and pause change (metrics hang here). */
  observer?: RelayObserver;
  /** Puts something between the relay and the real producer (tests: a delay). */
  decoratePublisher?: (publisher: EventPublisher) => EventPublisher;
  /** The CloudEvents `source` of the messages (default `/petstore-outbox`). */
  source?: string;
  circuitBreaker?: CircuitBreakerOptions;
};

export type OutboxServiceOptions = {
  /** From `loadConfig()`: the database, Kafka and OUTBOX_* settings. */
  config: Config;
  logger?: Logger;
  /**
   * Run a relay in this process (publishes what any process wrote). Default: OUTBOX_RELAY_ENABLED.
   * Any number of relays may run against one database; they share the work.
   */
  relay?: boolean | RelayOptions;
  /** Keep the outbox numbers of `metrics()` current (a reading per OUTBOX_METRICS_INTERVAL and on change). Default true. */
  sampler?: boolean;
  /** Follow published events for live subscribers (`feed`). Default true. */
  feed?: boolean;
};

/**
 * The transaction client `withTransaction` hands to its function: Prisma's interactive transaction
 * client (`Prisma.TransactionClient`). Business rows written through it (`tx.pet.create(...)`) and
 * events published with it commit together or not at all.
 */
export type OutboxTransaction = TransactionClient;

export type OutboxService = {
  /** Starts what this instance runs: the live feed, the sampler, the relay. */
  start(): Promise<void>;
  /** Stops in order: the relay finishes its batches in flight, then Kafka, then the database. */
  stop(): Promise<void>;
  /** Whether the relay runs and reaches Kafka, from memory (this process's relay, else the fleet's heartbeats). */
  status(): OutboxState;
  /** The outbox numbers (pending, failed, processed today, rates, per topic) with the relay state. */
  metrics(): Promise<OutboxStatus>;
  /**
   * Runs `fn` in one database transaction: it commits when `fn` resolves and rolls back when it
   * throws (the error is rethrown). The design document's `get_session()`.
   */
  withTransaction<T>(fn: (tx: OutboxTransaction) => Promise<T>): Promise<T>;
  /**
   * Wakes the relays (every process's) to claim at once, after a commit that added events. The
   * service's own transactions (`withTransaction`, the GraphQL mutations) do it themselves; a writer
   * that commits outbox rows any other way may call it, or leave them to the relays' poll.
   */
  announcePending(): void;
  /** Writes one event inside `tx`; checks it against the event contract first (InvalidOutboxEventError). */
  publishEvent(tx: OutboxTransaction, event: OutboxEventInput): Promise<EnqueuedEvent>;
  publishPetEvent(tx: OutboxTransaction, event: PetEventInput): Promise<EnqueuedEvent>;
  publishOrderEvent(tx: OutboxTransaction, event: OrderEventInput): Promise<EnqueuedEvent>;
  publishUserEvent(tx: OutboxTransaction, event: UserEventInput): Promise<EnqueuedEvent>;

  /** The Prisma client the transactions use, for reads outside them. */
  readonly prisma: PrismaClient;
  /** The relay of this process, or null. */
  readonly relay: Relay | null;
  /** The outbox numbers as the sampler last read them (Prometheus reads these). */
  readonly snapshots: OutboxSnapshotSource;
  /** `metrics()` as a stream, for subscriptions. */
  readonly statusReader: OutboxStatusReader;
  readonly feed: PublishedFeed | null;
  readonly admin: OutboxAdmin;
  /** The small pool of status reads (readiness checks may share it). */
  readonly statusPool: pg.Pool;
  readonly topicPrefix: string;
};

/**
 * Types cannot tell the root Prisma client from a transaction client (the first has every member of
 * the second), so this is checked at run time: the interactive transaction client has no `$connect`.
 */
function assertTransaction(tx: unknown): asserts tx is OutboxTransaction {
  const candidate = tx as { $queryRaw?: unknown; $connect?: unknown } | null;
  if (typeof candidate?.$queryRaw !== 'function') {
    throw new TypeError(
      'publishing an event needs the transaction client that withTransaction passes to its function',
    );
  }
  if (typeof candidate.$connect === 'function') {
    throw new TypeError(
      'publishing an event needs the transaction client that withTransaction passes to its function, ' +
        'not the Prisma client: an event written outside the business transaction could commit without its change',
    );
  }
}

/**
 * The transactional outbox as a library: write business rows and their events in one transaction,
 * and have a relay publish the events to Kafka in each aggregate's order, at least once.
 *
 * ```ts
 * const outbox = createOutboxService({ config: loadConfig() });
 * await outbox.start();
 * await outbox.withTransaction(async (tx) => {
 *   const pet = await tx.pet.create({ data: { name: 'Max', species: 'dog', price: '800.00' } });
 *   await outbox.publishPetEvent(tx, { petId: pet.id, eventType: 'created', data: { pet: petSnapshot(pet) } });
 * });
 * ```
 *
 * The server (src/app.ts), the standalone relay (src/relay-main.ts) and the tests all compose the
 * outbox through this function. Each kind of work has a pool of its own, with a bound on how long a
 * caller waits for a connection: a flood of one kind (status reads, subscribers catching up) cannot
 * take the connections transactions need.
 */
export function createOutboxService({
  config,
  logger = createLogger(config),
  relay: relayOption = config.outbox.relayEnabled,
  sampler: samplerEnabled = true,
  feed: feedEnabled = true,
}: OutboxServiceOptions): OutboxService {
  const topicPrefix = config.kafka.topicPrefix;
  let database: Database | null = null;
  // Created on first use: a process that only relays never opens it.
  const db = (): Database => {
    database ??= createDatabase({
      url: config.database.url,
      logger,
      connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
      transactionOptions: { maxWait: CONNECTION_TIMEOUT_MS, timeout: TRANSACTION_TIMEOUT_MS },
    });
    return database;
  };

  const statusPool = createPool({
    url: config.database.url,
    maxConnections: 2,
    applicationName: 'petstore-outbox-health',
    connectionTimeoutMs: STATUS_CONNECTION_TIMEOUT_MS,
    logger,
  });
  const sampler = createOutboxSampler({
    pool: statusPool,
    databaseUrl: config.database.url,
    logger,
    intervalMs: config.outbox.metricsIntervalMs,
  });

  const relayOptions: RelayOptions | null =
    relayOption === false ? null : relayOption === true ? {} : relayOption;
  let relay: Relay | null = null;
  const statusReader = createOutboxStatusReader({
    sampler,
    relayStatus: () => relay?.status() ?? null,
  });

  const publisher = relayOptions
    ? createConfiguredPublisher({
        kafka: createKafka({ config, logger }),
        config,
        ...(relayOptions.source ? { source: relayOptions.source } : {}),
      })
    : null;
  // The relay's sessions carry timeouts of their own (a frozen relay must release its claims), so it
  // has a pool of its own.
  const relayPool = relayOptions ? createRelayPool({ config, logger }) : null;
  if (relayOptions && relayPool && publisher) {
    const observer = relayOptions.observer ?? {};
    relay = createRelay({
      pool: relayPool,
      publisher: relayOptions.decoratePublisher?.(publisher) ?? publisher,
      config,
      logger,
      ...(relayOptions.relayId ? { relayId: relayOptions.relayId } : {}),
      ...(relayOptions.mode ? { mode: relayOptions.mode } : {}),
      ...(relayOptions.circuitBreaker ? { circuitBreaker: relayOptions.circuitBreaker } : {}),
      observer: {
        ...observer,
        // A circuit or pause change reaches metrics() subscribers at once.
        onCircuitChange(state) {
          observer.onCircuitChange?.(state);
          statusReader.notifyStateChange();
        },
        onPausedChange(paused) {
          observer.onPausedChange?.(paused);
          statusReader.notifyStateChange();
        },
      },
    });
  }

  // The live reader and the shared catch-up reader (subscribers resuming, or fallen behind) read
  // through a pool of their own.
  const feedPool = feedEnabled
    ? createPool({
        url: config.database.url,
        maxConnections: 3,
        applicationName: 'petstore-outbox-feed',
        connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
        logger,
      })
    : null;
  const feed = feedPool
    ? createPublishedFeed({
        pool: feedPool,
        databaseUrl: config.database.url,
        logger,
        pollIntervalMs: config.outbox.pollingIntervalMs,
        memoryEvents: config.outbox.feedMemoryEvents,
      })
    : null;
  let admin: OutboxAdmin | null = null;
  // After the commit, from a transaction of its own: a NOTIFY inside the business transaction would
  // serialise every writer's commit (announcer.ts). The status pool is small and mostly idle, and an
  // announcer holds at most one connection at a time.
  const pendingAnnouncer = createAnnouncer({ pool: statusPool, channel: PENDING_CHANNEL, log: logger });

  let state: 'created' | 'started' | 'stopped' = 'created';

  async function publishEvent(tx: OutboxTransaction, event: OutboxEventInput): Promise<EnqueuedEvent> {
    assertTransaction(tx);
    return enqueueOutboxEvent(tx, toOutboxRow(event), { topicPrefix });
  }

  function aggregateEvent(
    aggregate: 'pet' | 'order' | 'user',
    idField: 'petId' | 'orderId' | 'userId',
    event: { eventType: unknown; data: unknown; correlationId?: string | null } & Record<string, unknown>,
  ): OutboxEventInput {
    if (typeof event !== 'object' || event === null) {
      throw new InvalidOutboxEventError([{ path: '', message: 'the event must be an object' }]);
    }
    if (typeof event.eventType !== 'string') {
      throw new InvalidOutboxEventError([{ path: 'eventType', message: 'must be a string' }]);
    }
    return {
      type: `${aggregate}.${event.eventType}`,
      aggregateId: event[idField],
      data: event.data,
      correlationId: event.correlationId,
    } as OutboxEventInput;
  }

  return {
    async start() {
      if (state === 'started') return;
      if (state === 'stopped') throw new Error('an outbox service that was stopped cannot start again');
      state = 'started';
      await feed?.start();
      if (samplerEnabled) await sampler.start();
      await relay?.start();
    },
    async stop() {
      if (state === 'stopped') return;
      const started = state === 'started';
      state = 'stopped';
      if (started) {
        await relay?.stop();
        await publisher?.disconnect().catch(() => {});
      }
      await relayPool?.end();
      if (started) await feed?.stop();
      await feedPool?.end();
      if (started) await sampler.stop();
      await pendingAnnouncer.settled();
      await statusPool.end();
      await database?.close();
    },
    status: () => statusReader.state(),
    async metrics() {
      // Without a running sampler (a process that only relays), read the database now.
      if (!samplerEnabled || state !== 'started') await sampler.sampleNow();
      return statusReader.read();
    },
    async withTransaction(fn) {
      const result = await db().prisma.$transaction((tx) => fn(tx));
      pendingAnnouncer.announce();
      return result;
    },
    announcePending: () => pendingAnnouncer.announce(),
    publishEvent,
    publishPetEvent: (tx, event) =>
      publishEvent(tx, aggregateEvent('pet', 'petId', event as PetEventInput & Record<string, unknown>)),
    publishOrderEvent: (tx, event) =>
      publishEvent(
        tx,
        aggregateEvent('order', 'orderId', event as OrderEventInput & Record<string, unknown>),
      ),
    publishUserEvent: (tx, event) =>
      publishEvent(tx, aggregateEvent('user', 'userId', event as UserEventInput & Record<string, unknown>)),
    get prisma() {
      return db().prisma;
    },
    relay,
    snapshots: sampler,
    statusReader,
    feed,
    get admin() {
      admin ??= createOutboxAdmin({ pool: db().pool });
      return admin;
    },
    statusPool,
    topicPrefix,
  };
}

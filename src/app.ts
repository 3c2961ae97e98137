import type { Config } from './config/env.ts';
import type { AppServices } from './graphql/context.ts';
import { createGraphQLServer } from './graphql/yoga.ts';
import { createAdminAuthenticator } from './http/admin-credential.ts';
import { createOriginPolicy } from './http/origin-policy.ts';
import { createReadinessCheck } from './http/readiness.ts';
import { createHttpServer } from './http/server.ts';
import { singleFlight } from './http/single-flight.ts';
import { createDatabase, createPool } from './infra/db.ts';
import { createKafka } from './infra/kafka.ts';
import type { Logger } from './infra/logger.ts';
import { graphqlMetricsPlugin } from './metrics/graphql-metrics-plugin.ts';
import { createOutboxSampler } from './metrics/outbox-sampler.ts';
import { createRelayMetricsObserver } from './metrics/relay-metrics-observer.ts';
import { createServiceMetrics } from './metrics/service-metrics.ts';
import { createOutboxAdmin } from './outbox/outbox-admin.ts';
import { createOutboxStatusReader } from './outbox/outbox-status.ts';
import { createPublishedFeed } from './outbox/published-feed.ts';
import { createRelay, type Relay } from './outbox/relay/create-relay.ts';
import { createConfiguredPublisher } from './outbox/relay/publish-events.ts';
import { createRelayPool } from './outbox/relay/relay-pool.ts';
import { allTopics } from './outbox/topics.ts';

/** How long an API request waits for a database connection before it fails. */
const API_CONNECTION_TIMEOUT_MS = 5000;
/** How long a Prisma interactive transaction may run. */
const TRANSACTION_TIMEOUT_MS = 15_000;
/** A health check that cannot get a connection quickly reports the database as down. */
const HEALTH_CONNECTION_TIMEOUT_MS = 2000;

export type App = {
  services: AppServices;
  relay: Relay | null;
  start(): Promise<{ url: string; port: number }>;
  /** The shutdown order matters: stop accepting, drain the relay, disconnect Kafka, close the database. */
  stop(): Promise<void>;
};

/** Wires the service: database, Kafka, relay, live feed, GraphQL over HTTP and WebSocket. */
export function buildApp({ config, logger }: { config: Config; logger: Logger }): App {
  // Each kind of work has a pool of its own, with a bound on how long a caller waits for a connection:
  // a flood of one kind (health checks, subscribers catching up) cannot take the connections
  // mutations need, and a request that gave up is out of the queue instead of running later.
  const db = createDatabase({
    url: config.database.url,
    logger,
    connectionTimeoutMs: API_CONNECTION_TIMEOUT_MS,
    transactionOptions: { maxWait: API_CONNECTION_TIMEOUT_MS, timeout: TRANSACTION_TIMEOUT_MS },
  });
  const healthPool = createPool({
    url: config.database.url,
    maxConnections: 2,
    applicationName: 'petstore-outbox-health',
    connectionTimeoutMs: HEALTH_CONNECTION_TIMEOUT_MS,
    logger,
  });
  const kafka = createKafka({ config, logger });
  const publisher = createConfiguredPublisher({ kafka, config });
  const metrics = createServiceMetrics({
    relayStatus: () => relay?.status() ?? null,
    topics: config.outbox.relayEnabled ? allTopics(config.kafka.topicPrefix) : [],
  });
  const sampler = createOutboxSampler({
    pool: healthPool,
    databaseUrl: config.database.url,
    metrics,
    logger,
    intervalMs: config.outbox.metricsIntervalMs,
  });
  const outboxStatus = createOutboxStatusReader({
    metrics,
    sampler,
    relayStatus: () => relay?.status() ?? null,
  });
  const observer = createRelayMetricsObserver({ metrics, onStateChange: outboxStatus.notifyStateChange });
  // The relay's sessions carry timeouts of their own (a frozen relay must release its claims), so it
  // has a pool of its own rather than the API's.
  const relayPool = config.outbox.relayEnabled ? createRelayPool({ config, logger }) : null;
  const relay = relayPool ? createRelay({ pool: relayPool, publisher, config, logger, observer }) : null;
  // The live feed reads through a pool of its own: subscribers catching up from the table (after a
  // resume, or after falling behind) each read pages of their own, and must not take the connections
  // mutations need.
  const feedPool = createPool({
    url: config.database.url,
    maxConnections: 3,
    applicationName: 'petstore-outbox-feed',
    connectionTimeoutMs: API_CONNECTION_TIMEOUT_MS,
    logger,
  });
  const publishedFeed = createPublishedFeed({
    pool: feedPool,
    databaseUrl: config.database.url,
    logger,
    pollIntervalMs: config.outbox.pollingIntervalMs,
  });
  const services: AppServices = {
    prisma: db.prisma,
    topicPrefix: config.kafka.topicPrefix,
    outboxStatus,
    publishedFeed,
    outboxAdmin: createOutboxAdmin({ pool: db.pool }),
    adminAuth: createAdminAuthenticator(config.security.adminToken),
  };
  const origins = createOriginPolicy(config.security.corsOrigins);
  const yoga = createGraphQLServer({
    app: services,
    logger,
    origins,
    exposure: { ...config.security, production: config.production },
    plugins: [graphqlMetricsPlugin(metrics)],
  });
  const http = createHttpServer({
    yoga,
    origins,
    adminAuth: services.adminAuth,
    production: config.production,
    limits: {
      maxConnections: config.limits.httpMaxConnections,
      maxWebSockets: config.limits.wsMaxConnections,
      maxOperationsPerSocket: config.limits.wsMaxSubscriptionsPerSocket,
      headersTimeoutMs: config.limits.headersTimeoutMs,
      requestTimeoutMs: config.limits.requestTimeoutMs,
    },
    registry: metrics.registry,
    readiness: singleFlight(
      createReadinessCheck({
        pool: healthPool,
        relayStatus: () => relay?.status() ?? null,
        relayExpected: config.outbox.relayEnabled,
      }),
    ),
  });

  return {
    services,
    relay,
    async start() {
      await publishedFeed.start();
      await sampler.start();
      await relay?.start();
      return http.start(config.http.port, config.http.host);
    },
    async stop() {
      await http.stop();
      await relay?.stop();
      await publisher.disconnect().catch(() => {});
      await relayPool?.end();
      await publishedFeed.stop();
      await feedPool.end();
      await sampler.stop();
      await healthPool.end();
      await db.close();
      metrics.close();
    },
  };
}

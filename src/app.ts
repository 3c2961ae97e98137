import type { Config } from './config/env.ts';
import type { AppServices } from './graphql/context.ts';
import { createGraphQLServer } from './graphql/yoga.ts';
import { createAdminAuthenticator } from './http/admin-credential.ts';
import { createOriginPolicy } from './http/origin-policy.ts';
import { createReadinessCheck } from './http/readiness.ts';
import { createHttpServer } from './http/server.ts';
import { singleFlight } from './http/single-flight.ts';
import type { Logger } from './infra/logger.ts';
import { graphqlMetricsPlugin } from './metrics/graphql-metrics-plugin.ts';
import { createRelayMetricsObserver } from './metrics/relay-metrics-observer.ts';
import { createServiceMetrics } from './metrics/service-metrics.ts';
import { allTopics } from './outbox/topics.ts';
import { createOutboxService, type OutboxService } from './outbox-service/create-outbox-service.ts';

export type App = {
  services: AppServices;
  outbox: OutboxService;
  start(): Promise<{ url: string; port: number }>;
  /** The shutdown order matters: stop accepting, then the outbox (relay, Kafka, database). */
  stop(): Promise<void>;
};

/** Wires the service: the outbox library, metrics, GraphQL over HTTP and WebSocket. */
export function buildApp({ config, logger }: { config: Config; logger: Logger }): App {
  // Prometheus reads the outbox (its snapshot, its relay) at scrape time; the outbox knows nothing of it.
  const metrics = createServiceMetrics({
    relayStatus: () => outbox.relay?.status() ?? null,
    outbox: {
      latest: () => outbox.snapshots.latest(),
      failedReadings: () => outbox.snapshots.failedReadings(),
    },
    topics: config.outbox.relayEnabled ? allTopics(config.kafka.topicPrefix) : [],
    feed: () => outbox.feed?.stats() ?? null,
    webSocketWrites: () => http.webSocketWrites(),
  });
  const outbox = createOutboxService({
    config,
    logger,
    relay: config.outbox.relayEnabled && { observer: createRelayMetricsObserver({ metrics }) },
  });
  const services: AppServices = {
    prisma: outbox.prisma,
    topicPrefix: config.kafka.topicPrefix,
    outboxStatus: outbox.statusReader,
    publishedFeed: outbox.feed as NonNullable<OutboxService['feed']>,
    outboxAdmin: outbox.admin,
    adminAuth: createAdminAuthenticator(config.security.adminToken),
    announcePending: outbox.announcePending,
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
    outboxMetrics: () => outbox.statusReader.read(),
    readiness: singleFlight(
      createReadinessCheck({
        pool: outbox.statusPool,
        relayStatus: () => outbox.relay?.status() ?? null,
        relayExpected: config.outbox.relayEnabled,
      }),
    ),
  });

  return {
    services,
    outbox,
    async start() {
      await outbox.start();
      return http.start(config.http.port, config.http.host);
    },
    async stop() {
      await http.stop();
      await outbox.stop();
      metrics.close();
    },
  };
}

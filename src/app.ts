import { CompressionTypes } from 'kafkajs';
import type { Config } from './config/env.ts';
import type { AppServices } from './graphql/context.ts';
import { createGraphQLServer } from './graphql/yoga.ts';
import { createHttpServer } from './http/server.ts';
import { createDatabase } from './infra/db.ts';
import { createKafka } from './infra/kafka.ts';
import type { Logger } from './infra/logger.ts';
import { createOutboxStatusReader } from './outbox/outbox-status.ts';
import { createEventPublisher } from './outbox/publish-events.ts';
import { createPublishedFeed } from './outbox/published-feed.ts';
import { createRelay, type Relay } from './outbox/relay.ts';
import { allTopics } from './outbox/topics.ts';

export type App = {
  services: AppServices;
  relay: Relay | null;
  start(): Promise<{ url: string; port: number }>;
  /** The shutdown order matters: stop accepting, drain the relay, disconnect Kafka, close the database. */
  stop(): Promise<void>;
};

const compressionTypes = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;

/** Wires the service: database, Kafka, relay, live feed, GraphQL over HTTP and WebSocket. */
export function buildApp({ config, logger }: { config: Config; logger: Logger }): App {
  const db = createDatabase({ url: config.database.url });
  const kafka = createKafka({ config, logger });
  const publisher = createEventPublisher({
    kafka,
    source: `/${config.serviceName}`,
    compression: compressionTypes[config.kafka.compression],
    topics: allTopics(config.kafka.topicPrefix),
    topicPartitions: config.kafka.topicPartitions,
  });
  const relay = config.outbox.relayEnabled ? createRelay({ pool: db.pool, publisher, config, logger }) : null;
  const publishedFeed = createPublishedFeed({
    pool: db.pool,
    databaseUrl: config.database.url,
    logger,
    pollIntervalMs: config.outbox.pollingIntervalMs,
  });
  const services: AppServices = {
    prisma: db.prisma,
    topicPrefix: config.kafka.topicPrefix,
    outboxStatus: createOutboxStatusReader({ pool: db.pool, relayStatus: () => relay?.status() ?? null }),
    publishedFeed,
  };
  const yoga = createGraphQLServer({ app: services, logger });
  const http = createHttpServer({
    yoga,
    health: async () => {
      await db.pool.query('SELECT 1');
      return { status: 'ok', database: 'up', relay: relay?.status() ?? 'not running in this process' };
    },
  });

  return {
    services,
    relay,
    async start() {
      await publishedFeed.start();
      await relay?.start();
      return http.start(config.http.port, config.http.host);
    },
    async stop() {
      await http.stop();
      await relay?.stop();
      await publisher.disconnect().catch(() => {});
      await publishedFeed.stop();
      await db.close();
    },
  };
}

import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../infra/logger.ts';
import type { OutboxAdmin } from '../outbox/outbox-admin.ts';
import type { OutboxStatusReader } from '../outbox/outbox-status.ts';
import type { PublishedFeed } from '../outbox/published-feed.ts';

/** What resolvers may use: built once in main.ts, shared by every request. */
export type AppServices = {
  prisma: PrismaClient;
  topicPrefix: string;
  outboxStatus: OutboxStatusReader;
  publishedFeed: PublishedFeed;
  /** Relay pause/resume and dead-letter replay (src/modules/outbox/admin.schema.ts). */
  outboxAdmin: OutboxAdmin;
};

/** Per request (or per graphql-ws subscription). */
export type GraphQLContext = {
  correlationId: string;
  logger: Logger;
  app: AppServices;
};

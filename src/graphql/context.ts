import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AdminAuthenticator, Caller } from '../http/admin-credential.ts';
import type { Logger } from '../infra/logger.ts';
import type { OutboxAdmin } from '../outbox/admin/outbox-admin.ts';
import type { PublishedFeed } from '../outbox/feed/published-feed.ts';
import type { OutboxStatusReader } from '../outbox/status/outbox-status.ts';

/** What resolvers may use: built once in app.ts, shared by every request. */
export type AppServices = {
  prisma: PrismaClient;
  topicPrefix: string;
  outboxStatus: OutboxStatusReader;
  publishedFeed: PublishedFeed;
  /** Relay pause/resume and dead-letter replay (src/graphql/schema/relay-admin.ts). */
  outboxAdmin: OutboxAdmin;
  /** Checks the admin bearer token; knows whether admin operations are enabled at all. */
  adminAuth: AdminAuthenticator;
  /** Wakes the relays after a commit that added outbox events (src/graphql/announce-after-mutations.ts). */
  announcePending: () => void;
};

/** Per request (or per graphql-ws subscription). */
export type GraphQLContext = {
  correlationId: string;
  logger: Logger;
  app: AppServices;
  /** From the request's `Authorization` header (graphql-ws: its connection parameters). */
  caller: Caller;
};

import { randomUUID } from 'node:crypto';
import { createYoga, type GraphiQLOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { type GraphiQLManifest, readGraphiQLManifest } from '../http/graphiql-manifest.ts';
import type { Logger } from '../infra/logger.ts';
import type { AppServices, GraphQLContext } from './context.ts';
import { renderGraphiQLPage } from './graphiql-page.ts';
import { schema } from './schema.ts';
import { maskErrorTellingOutages } from './service-unavailable.ts';
import { sharedSubscriptionExecution } from './shared-subscription-execution.ts';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID_PATTERN = /^[\w.:-]{1,255}$/;

/** The caller's correlation id when it is sane, else a new one: it ends up in logs, rows and Kafka headers. */
export function correlationIdFrom(value: unknown): string {
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value) ? value : randomUUID();
}

type ServerContext = {
  /** Set by the graphql-ws path, which has no Fetch Request headers to read. */
  correlationId?: string;
};

/** Echoes the correlation id so a client can quote it when reporting a problem. */
function correlationHeaderPlugin(): Plugin<GraphQLContext> {
  const ids = new WeakMap<Request, string>();
  return {
    onRequest({ request }) {
      ids.set(request, correlationIdFrom(request.headers.get(CORRELATION_HEADER)));
    },
    onResponse({ request, response }) {
      const id = ids.get(request);
      if (id) response.headers.set(CORRELATION_HEADER, id);
    },
  };
}

/**
 * GraphiQL as a small page whose script, stylesheet and editor workers this server serves as files
 * the browser caches (src/http/graphiql-assets.ts): it works without internet access, unlike yoga's
 * default page, which loads them from a CDN. Rendered per request, with whatever options yoga passes.
 */
function offlineGraphiQL(): (options: GraphiQLOptions) => string {
  let manifest: GraphiQLManifest | null = null;
  return (options) => {
    manifest ??= readGraphiQLManifest();
    return renderGraphiQLPage(options, manifest);
  };
}

export function createGraphQLServer({
  app,
  logger,
  plugins = [],
}: {
  app: AppServices;
  logger: Logger;
  /** Extra envelop plugins (e.g. metrics), run on HTTP, SSE and graphql-ws alike. */
  plugins?: Plugin<GraphQLContext>[];
}): YogaServerInstance<ServerContext, GraphQLContext> {
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: { title: 'petstore-outbox', subscriptionsProtocol: 'WS' },
    renderGraphiQL: offlineGraphiQL(),
    // Unexpected errors reach clients as "Unexpected error." (no SQL, no stack); they are logged below.
    // A database outage is the exception: clients get SERVICE_UNAVAILABLE and know to retry.
    maskedErrors: { maskError: maskErrorTellingOutages },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) =>
        logger.error({ err: args.find((arg) => arg instanceof Error) }, args.map(String).join(' ')),
    },
    plugins: [
      correlationHeaderPlugin(),
      // Their results depend only on the event, never on who subscribed.
      sharedSubscriptionExecution({ fields: ['eventPublished', 'outboxMetricsUpdated'] }),
      ...plugins,
    ],
    context: ({ request, correlationId }) => {
      const id = correlationId ?? correlationIdFrom(request?.headers.get(CORRELATION_HEADER));
      return { correlationId: id, logger: logger.child({ correlationId: id }), app };
    },
  });
}

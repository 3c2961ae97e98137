import { randomUUID } from 'node:crypto';
import {
  createYoga,
  type GraphiQLOptions,
  type Plugin,
  useExecutionCancellation,
  type YogaServerInstance,
} from 'graphql-yoga';
import { CSRF_HEADER, csrfPreventionPlugin } from '../http/csrf-plugin.ts';
import { type GraphiQLManifest, readGraphiQLManifest } from '../http/graphiql-manifest.ts';
import type { OriginPolicy } from '../http/origin-policy.ts';
import { inlineScriptHashes, securityHeadersPlugin } from '../http/security-headers.ts';
import type { Logger } from '../infra/logger.ts';
import { announceAfterMutations } from './announce-after-mutations.ts';
import type { AppServices, GraphQLContext } from './context.ts';
import { validatedDocumentCache } from './document-cache.ts';
import { graphiqlDefaults } from './graphiql-document.ts';
import { renderGraphiQLPage } from './graphiql-page.ts';
import { noIntrospectionPlugin } from './no-introspection.ts';
import { operationLimitPlugins } from './operation-limits.ts';
import { schema } from './schema.ts';
import { maskErrorTellingOutages } from './service-unavailable.ts';
import { sharedSubscriptionExecution } from './shared-subscription-execution.ts';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID_PATTERN = /^[\w.:-]{1,255}$/;

/** The caller's correlation id when it is sane, else a new one: it ends up in logs, rows and Kafka headers. */
export function correlationIdFrom(value: unknown): string {
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value) ? value : randomUUID();
}

export type ServerContext = {
  /** Set by the graphql-ws path, which has no Fetch Request headers to read. */
  correlationId?: string;
  /** graphql-ws: the `Authorization` connection parameter (browsers cannot set WebSocket headers). */
  authorization?: unknown;
};

/**
 * Gives each HTTP request its correlation id once, and echoes it so a client can quote it when
 * reporting a problem. The context reads the same id (`idOf`), so what the response names is what the
 * logs, the outbox rows and the Kafka headers carry, also when the client sent none.
 */
function correlationHeaderPlugin(): {
  plugin: Plugin<GraphQLContext>;
  idOf: (request: Request) => string | undefined;
} {
  const ids = new WeakMap<Request, string>();
  return {
    idOf: (request) => ids.get(request),
    plugin: {
      onRequest({ request }) {
        ids.set(request, correlationIdFrom(request.headers.get(CORRELATION_HEADER)));
      },
      onResponse({ request, response }) {
        const id = ids.get(request);
        if (id) response.headers.set(CORRELATION_HEADER, id);
      },
    },
  };
}

/**
 * GraphiQL as a small page whose script, stylesheet and editor workers this server serves as files
 * the browser caches (src/http/graphiql-assets.ts): it works without internet access, unlike yoga's
 * default page, which loads them from a CDN. Rendered per request, with whatever options yoga passes;
 * its inline elements are hashed for the page's Content-Security-Policy.
 */
function offlineGraphiQL(): {
  render: (options: GraphiQLOptions) => string;
  /** The page's inline script hashes, for its Content-Security-Policy (empty until it is rendered). */
  scriptHashes: () => readonly string[];
} {
  let manifest: GraphiQLManifest | null = null;
  let hashes: readonly string[] = [];
  return {
    render: (options) => {
      manifest ??= readGraphiQLManifest();
      const page = renderGraphiQLPage(options, manifest);
      hashes = inlineScriptHashes(page);
      return page;
    },
    scriptHashes: () => hashes,
  };
}

export function createGraphQLServer({
  app,
  logger,
  origins,
  exposure = { graphiql: true, introspection: true, production: false },
  plugins = [],
}: {
  app: AppServices;
  logger: Logger;
  /** What the API shows about itself: off in production unless GRAPHIQL_ENABLED / INTROSPECTION_ENABLED. */
  exposure?: { graphiql: boolean; introspection: boolean; production: boolean };
  /** Browser origins allowed in (CORS, CSRF); the same policy guards WebSocket upgrades. */
  origins: OriginPolicy;
  /** Extra envelop plugins (e.g. metrics), run on HTTP, SSE and graphql-ws alike. */
  plugins?: Plugin<GraphQLContext>[];
}): YogaServerInstance<ServerContext, GraphQLContext> {
  const graphiql = offlineGraphiQL();
  const correlation = correlationHeaderPlugin();
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: exposure.graphiql && {
      title: 'petstore-outbox',
      subscriptionsProtocol: 'WS',
      // Admin operations need `Authorization: Bearer <ADMIN_TOKEN>`: typed into the headers editor,
      // and not persisted in the browser's storage.
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      ...graphiqlDefaults,
    },
    renderGraphiQL: graphiql.render,
    // Unexpected errors reach clients as "Unexpected error." (no SQL, no stack); they are logged below.
    // A database outage is the exception: clients get SERVICE_UNAVAILABLE and know to retry.
    // yoga would add the original message and stack when NODE_ENV=development; never in production.
    maskedErrors: { maskError: maskErrorTellingOutages, ...(exposure.production ? { isDev: false } : {}) },
    // yoga calls debug several times per request: the arguments are turned into text only when
    // that level is logged at all.
    logging: {
      debug: (...args) => {
        if (logger.isLevelEnabled('debug')) logger.debug(args.map(String).join(' '));
      },
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) =>
        logger.error({ err: args.find((arg) => arg instanceof Error) }, args.map(String).join(' ')),
    },
    // File uploads are not part of the API; multipart bodies are refused rather than parsed.
    multipart: false,
    // The HTTP server refuses a body over MAX_REQUEST_BODY_BYTES, or of undeclared length, before
    // yoga sees the request (src/http/request-body-limit.ts), and Node's parser never delivers more
    // than the declared length. yoga's own limit would pipe every body through one more stream (an
    // AbortController, a TransformStream and a second Request per call) to enforce a looser bound.
    maxRequestBodySize: false,
    // Only listed origins get CORS headers (yoga's default reflects any origin, with credentials);
    // same-origin pages need none.
    cors: (request) =>
      origins.listed(request.headers.get('origin'))
        ? {
            origin: [request.headers.get('origin') as string],
            credentials: false,
            methods: ['GET', 'POST'],
            allowedHeaders: ['authorization', 'content-type', CORRELATION_HEADER, CSRF_HEADER],
            exposedHeaders: [CORRELATION_HEADER],
            maxAge: 600,
          }
        : false,
    // Replaced by validatedDocumentCache: only documents within the limits are cached.
    parserAndValidationCache: false,
    plugins: [
      securityHeadersPlugin(graphiql.scriptHashes),
      csrfPreventionPlugin(origins),
      correlation.plugin,
      validatedDocumentCache(),
      ...operationLimitPlugins(),
      // A client that disconnects stops its operation's execution (resolvers not yet started never run).
      useExecutionCancellation(),
      ...(exposure.introspection ? [] : [noIntrospectionPlugin()]),
      // Their results depend only on the event and on whether the caller is an admin (eventPublished's
      // `data` shows users' contact details to admins only).
      sharedSubscriptionExecution({
        fields: ['eventPublished', 'outboxMetricsUpdated'],
        contextKey: (context) => (context.caller.admin ? 'admin' : 'anonymous'),
      }),
      announceAfterMutations(app.announcePending),
      ...plugins,
    ],
    context: ({ request, correlationId, authorization }) => {
      // graphql-ws sets correlationId; an HTTP request got its id in onRequest (no request: a new one).
      const id = correlationId ?? (request && correlation.idOf(request)) ?? correlationIdFrom(undefined);
      const caller = app.adminAuth.identify(authorization ?? request?.headers.get('authorization'));
      return { correlationId: id, logger: logger.child({ correlationId: id }), app, caller };
    },
  });
}

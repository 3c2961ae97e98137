import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { GraphQLContext } from '../graphql/context.ts';
import { correlationIdFrom, type ServerContext } from '../graphql/yoga.ts';
import type { OutboxStatus } from '../outbox/status/outbox-status.ts';
import type { AdminAuthenticator } from './admin-credential.ts';
import { createSocketWriteBatcher, type WebSocketWriteStats } from './batched-socket-writes.ts';
import { createGraphiQLAssets } from './graphiql-assets.ts';
import type { OriginPolicy } from './origin-policy.ts';
import { handleOutboxRestAlias } from './outbox-rest-aliases.ts';
import type { Readiness } from './readiness.ts';
import { publicReadiness } from './readiness-view.ts';
import { bodyRefusal } from './request-body-limit.ts';
import { placeholderFor, sendSharedPayloads } from './shared-payloads.ts';
import { createStaticFiles } from './static-files.ts';

export type HttpServer = {
  start(port: number, host: string): Promise<{ port: number; url: string }>;
  /** Stops accepting, closes WebSockets and idle keep-alive sockets, waits for requests in flight. */
  stop(): Promise<void>;
  /** What the graphql-ws sockets hold unsent (read at scrape time). */
  webSocketWrites(): WebSocketWriteStats;
};

type RootValue = {
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
};

const WS_MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * Bytes a graphql-ws socket may hold unsent before its subscriptions stop taking events (its
 * client reads too slowly): enough for a burst of events, little enough that a thousand stalled
 * clients cost tens of megabytes, not whatever the feed publishes while they stall.
 */
const WS_MAX_BUFFERED_BYTES = 64 * 1024;

export type HttpLimits = {
  /** Open TCP connections (HTTP, SSE and WebSocket alike); past it new ones are closed at once. */
  maxConnections: number;
  /** Open graphql-ws sockets; past it upgrades are refused (503). */
  maxWebSockets: number;
  /** Operations (subscriptions, queries, mutations) in progress on one socket. */
  maxOperationsPerSocket: number;
  /** Time a client has to send its request headers (slow-loris clients are cut). */
  headersTimeoutMs: number;
  /** Time a client has to send its whole request; responses (SSE streams) are not limited by it. */
  requestTimeoutMs: number;
};

const DEFAULT_LIMITS: HttpLimits = {
  maxConnections: 1000,
  maxWebSockets: 500,
  maxOperationsPerSocket: 20,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** The dashboard page and its two files (public/). */
const DASHBOARD_ROUTES = {
  '/': 'index.html',
  '/dashboard.js': 'dashboard.js',
  '/dashboard.css': 'dashboard.css',
};

/** The page loads only its own files and talks only to this server. */
const DASHBOARD_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * One HTTP server: /graphql (HTTP, SSE and graphql-ws on the same path; GraphiQL's files under
 * /graphiql/), the dashboard page at /,
 * /metrics (Prometheus), /health (liveness: the process answers; no dependency is asked, so a
 * database outage never gets the process restarted), /ready (readiness, with per-check detail) and
 * the design document's /api/v1/petstore-outbox/metrics and /health (outbox-rest-aliases.ts).
 */
export function createHttpServer({
  yoga,
  readiness,
  registry,
  outboxMetrics,
  origins,
  adminAuth,
  production = false,
  limits = DEFAULT_LIMITS,
}: {
  yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  /** Checked on every WebSocket upgrade: browsers open cross-site sockets without asking anyone. */
  origins: OriginPolicy;
  /** Admins (Authorization: Bearer <ADMIN_TOKEN>) see /ready's details. */
  adminAuth: AdminAuthenticator;
  /** graphql-ws then closes a socket on an internal error with a generic reason, not the error's text. */
  production?: boolean;
  limits?: HttpLimits;
  readiness: () => Promise<Readiness>;
  registry: Registry;
  /** The `outboxMetrics` numbers, for the design document's REST alias. */
  outboxMetrics: () => Promise<OutboxStatus>;
}): HttpServer {
  const sockets = new Set<Socket>();
  const startedAt = Date.now();
  const health = () => ({ status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
  const staticFile = createStaticFiles(DASHBOARD_ROUTES);
  const graphiqlAsset = createGraphiQLAssets();
  /** Sockets carrying SSE subscriptions: they never finish by themselves, so stop() ends them first. */
  const streamSockets = new Set<Socket>();
  const server: Server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for connections past those timeouts (its default, 30 s, would let a
      // slow client hold a connection well beyond them).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    async (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.headers.accept?.includes('text/event-stream')) {
        const socket = req.socket;
        streamSockets.add(socket);
        res.on('close', () => streamSockets.delete(socket));
      }
      try {
        if (path === '/health') {
          sendJson(res, 200, health());
          return;
        }
        if (await handleOutboxRestAlias(req, res, path, { outboxMetrics, health })) return;
        if (path === '/ready') {
          const body = await readiness();
          const detailed = adminAuth.identify(req.headers.authorization).admin;
          sendJson(res, body.status === 'ready' ? 200 : 503, detailed ? body : publicReadiness(body));
          return;
        }
        if (path === '/metrics') {
          const text = await registry.metrics();
          res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
          return;
        }
        if (req.method === 'GET' || req.method === 'HEAD') {
          if (await graphiqlAsset(req, res, path)) return;
          const file = await staticFile(path);
          if (file) {
            res.writeHead(200, { 'content-type': file.contentType, ...DASHBOARD_HEADERS });
            res.end(req.method === 'HEAD' ? undefined : file.body);
            return;
          }
        }
      } catch {
        // No internal error text goes to the client.
        sendJson(res, 500, { status: 'error' });
        return;
      }
      const refusal = bodyRefusal(req);
      if (refusal) {
        // The body is not read: the connection is closed after the answer instead.
        res.shouldKeepAlive = false;
        sendJson(res, refusal.status, { errors: [{ message: refusal.message }] });
        return;
      }
      yoga.handle(req, res);
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    // graphql-ws messages are small documents; a bigger frame is refused (close 1009) before it is buffered.
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    verifyClient: (
      { origin, req }: { origin?: string; req: IncomingMessage },
      accept: (allowed: boolean, status?: number, message?: string) => void,
    ) => {
      if (!origins.allows(origin, req.headers.host)) return accept(false, 403, 'Origin not allowed');
      if (wsServer.clients.size >= limits.maxWebSockets) return accept(false, 503, 'Too many WebSockets');
      accept(true);
    },
  });
  const writes = createSocketWriteBatcher({ maxBufferedBytes: WS_MAX_BUFFERED_BYTES });
  // Registered before graphql-ws's own listener, so its sends go through the wrappers: the payload
  // spliced in first, then the message batched with the socket's others (the upgrade request's
  // socket is the WebSocket's TCP socket).
  wsServer.on('connection', (socket, request) => {
    sendSharedPayloads(socket);
    writes.attach(socket, request.socket as Socket);
  });
  // graphql-ws runs the same envelop pipeline as HTTP (yoga's example), so plugins, context and
  // masking are identical on both transports.
  const wsHandle = useServer(
    {
      isProd: production,
      execute: (args) => (args.rootValue as RootValue).execute(args),
      subscribe: (args) => (args.rootValue as RootValue).subscribe(args),
      // Each result's JSON is made once, however many subscribers receive it.
      onNext: (ctx, _id, _payload, _args, result) => placeholderFor(result, ctx.extra.socket),
      onSubscribe: async (ctx, _id, params) => {
        // graphql-ws has already registered this operation: more than the cap means one too many.
        if (Object.keys(ctx.subscriptions).length > limits.maxOperationsPerSocket) {
          return [
            new GraphQLError(
              `At most ${limits.maxOperationsPerSocket} operations may run at once on one socket.`,
              { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
            ),
          ];
        }
        const headers = ctx.extra.request.headers;
        const connectionParams = (ctx.connectionParams ?? {}) as Record<string, unknown>;
        const correlationId = correlationIdFrom(
          connectionParams.correlationId ?? headers['x-correlation-id'],
        );
        const authorization =
          connectionParams.Authorization ?? connectionParams.authorization ?? headers.authorization;
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          correlationId,
          authorization,
        });
        let document: DocumentNode;
        try {
          document = parse(params.query);
        } catch (error) {
          // A syntax error, or a document over the token limit: the client's mistake, reported as
          // such instead of closing the socket.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory({ correlationId, authorization }),
          rootValue: { execute, subscribe } satisfies RootValue,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );

  return {
    webSocketWrites: () => writes.stats(),
    start(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          const actualPort = typeof address === 'object' && address ? address.port : port;
          resolve({ port: actualPort, url: `http://${host}:${actualPort}` });
        });
      });
    },
    async stop() {
      await wsHandle.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const socket of streamSockets) socket.destroy();
      // Requests in flight get a moment to finish; then whatever is left is cut.
      const timeout = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, 5000);
      await closed;
      clearTimeout(timeout);
    },
  };
}

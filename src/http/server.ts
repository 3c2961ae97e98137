import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ExecutionArgs } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { GraphQLContext } from '../graphql/context.ts';
import { correlationIdFrom } from '../graphql/yoga.ts';
import { createGraphiQLAssets } from './graphiql-assets.ts';
import type { Readiness } from './readiness.ts';
import { placeholderFor, sendSharedPayloads } from './shared-payloads.ts';
import { createStaticFiles } from './static-files.ts';

export type HttpServer = {
  start(port: number, host: string): Promise<{ port: number; url: string }>;
  /** Stops accepting, closes WebSockets and idle keep-alive sockets, waits for requests in flight. */
  stop(): Promise<void>;
};

type RootValue = {
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
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
 * database outage never gets the process restarted) and /ready (readiness, with per-check detail).
 */
export function createHttpServer({
  yoga,
  readiness,
  registry,
}: {
  yoga: YogaServerInstance<{ correlationId?: string }, GraphQLContext>;
  readiness: () => Promise<Readiness>;
  registry: Registry;
}): HttpServer {
  const sockets = new Set<Socket>();
  const startedAt = Date.now();
  const staticFile = createStaticFiles(DASHBOARD_ROUTES);
  const graphiqlAsset = createGraphiQLAssets();
  /** Sockets carrying SSE subscriptions: they never finish by themselves, so stop() ends them first. */
  const streamSockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.headers.accept?.includes('text/event-stream')) {
      const socket = req.socket;
      streamSockets.add(socket);
      res.on('close', () => streamSockets.delete(socket));
    }
    try {
      if (path === '/health') {
        sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
        return;
      }
      if (path === '/ready') {
        const body = await readiness();
        sendJson(res, body.status === 'ready' ? 200 : 503, body);
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
    } catch (error) {
      sendJson(res, 500, { status: 'error', error: (error as Error).message });
      return;
    }
    yoga.handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  // Registered before graphql-ws's own listener, so its sends go through the wrapper.
  wsServer.on('connection', sendSharedPayloads);
  // graphql-ws runs the same envelop pipeline as HTTP (yoga's example), so plugins, context and
  // masking are identical on both transports.
  const wsHandle = useServer(
    {
      execute: (args) => (args.rootValue as RootValue).execute(args),
      subscribe: (args) => (args.rootValue as RootValue).subscribe(args),
      // Each result's JSON is made once, however many subscribers receive it.
      onNext: (_ctx, _id, _payload, _args, result) => placeholderFor(result),
      onSubscribe: async (ctx, _id, params) => {
        const headers = ctx.extra.request.headers;
        const fromParams = (ctx.connectionParams as Record<string, unknown> | undefined)?.correlationId;
        const correlationId = correlationIdFrom(fromParams ?? headers['x-correlation-id']);
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          correlationId,
        });
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory({ correlationId }),
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

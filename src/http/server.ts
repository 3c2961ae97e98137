import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ExecutionArgs } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { GraphQLContext } from '../graphql/context.ts';
import { correlationIdFrom } from '../graphql/yoga.ts';

export type HealthCheck = () => Promise<{ status: 'ok' | 'error'; [detail: string]: unknown }>;

export type HttpServer = {
  start(port: number, host: string): Promise<{ port: number; url: string }>;
  /** Stops accepting, closes WebSockets and idle keep-alive sockets, waits for requests in flight. */
  stop(): Promise<void>;
};

type RootValue = {
  execute(args: ExecutionArgs): OperationResult;
  subscribe(args: ExecutionArgs): OperationResult;
};

/** One HTTP server: /graphql (HTTP, SSE and graphql-ws on the same path), /health. */
export function createHttpServer({
  yoga,
  health,
}: {
  yoga: YogaServerInstance<{ correlationId?: string }, GraphQLContext>;
  health: HealthCheck;
}): HttpServer {
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      const body = await health().catch((error: Error) => ({
        status: 'error' as const,
        error: error.message,
      }));
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    if (path === '/') {
      res.writeHead(302, { location: '/graphql' });
      res.end();
      return;
    }
    yoga.handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  // graphql-ws runs the same envelop pipeline as HTTP (yoga's example), so plugins, context and
  // masking are identical on both transports.
  const wsHandle = useServer(
    {
      execute: (args) => (args.rootValue as RootValue).execute(args),
      subscribe: (args) => (args.rootValue as RootValue).subscribe(args),
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
      // Requests in flight get a moment to finish; then whatever is left is cut.
      const timeout = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, 5000);
      await closed;
      clearTimeout(timeout);
    },
  };
}

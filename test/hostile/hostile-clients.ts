import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLResponse } from '../support/graphql-client.ts';

/** One operation over a fresh graphql-ws socket, the way a script (not a browser) would send it. */
export async function wsRequest<T = Record<string, unknown>>(
  url: string,
  query: string,
  connectionParams: Record<string, unknown> = {},
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams,
  });
  try {
    return await new Promise<GraphQLResponse<T>>((resolve, reject) => {
      let result: GraphQLResponse<T> = {};
      client.subscribe<T>(
        { query, variables },
        {
          next: (value) => {
            result = value as GraphQLResponse<T>;
          },
          error: (error) =>
            Array.isArray(error)
              ? resolve({ errors: error as GraphQLResponse<T>['errors'] })
              : reject(
                  error instanceof Error
                    ? error
                    : new Error(String((error as { reason?: string }).reason ?? error)),
                ),
          complete: () => resolve(result),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

/** A minimal GraphQL-over-HTTP client for the scripts: POST, JSON, errors thrown with their messages. */
export class GraphQLRequestError extends Error {
  override name = 'GraphQLRequestError';
}

export type GraphQLClient = <T>(
  query: string,
  variables?: Record<string, unknown>,
  options?: { correlationId?: string },
) => Promise<T>;

export function createGraphQLClient(endpoint: string): GraphQLClient {
  return async <T>(
    query: string,
    variables: Record<string, unknown> = {},
    { correlationId }: { correlationId?: string } = {},
  ) => {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new GraphQLRequestError(
        `nothing answers at ${endpoint} (${cause?.code ?? cause?.message ?? (error as Error).message}); ` +
          'start the service with `npm start`, or pass --url',
      );
    }
    const text = await response.text();
    let body: { data?: T; errors?: { message: string }[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new GraphQLRequestError(`${endpoint} answered ${response.status} with no GraphQL response`);
    }
    if (body.errors?.length) {
      throw new GraphQLRequestError(body.errors.map((error) => error.message).join('; '));
    }
    if (!body.data) throw new GraphQLRequestError(`${endpoint} answered ${response.status} without data`);
    return body.data;
  };
}

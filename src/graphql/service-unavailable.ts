import { createGraphQLError, maskError } from 'graphql-yoga';
import { isDatabaseUnavailable } from '../infra/database-unavailable.ts';

export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';

/** Seconds a client should wait before retrying; a database restart or failover takes a few. */
const RETRY_AFTER_SECONDS = 2;

/**
 * yoga's error masking, except that a database outage is told as such: `SERVICE_UNAVAILABLE`,
 * `retryable: true`, HTTP 503 with Retry-After when it failed the request. The message cannot
 * promise that nothing was written: a COMMIT whose reply was lost may have taken effect (see the
 * README's operations section on retrying).
 */
export function maskErrorTellingOutages(error: unknown, message: string, isDev?: boolean): Error {
  if (!isDatabaseUnavailable(error)) return maskError(error, message, isDev);
  const located = error as { nodes?: never; source?: never; positions?: never; path?: never };
  return createGraphQLError('The database is unavailable right now; retry shortly.', {
    nodes: located.nodes,
    source: located.source,
    positions: located.positions,
    path: located.path,
    extensions: {
      code: SERVICE_UNAVAILABLE,
      retryable: true,
      http: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    },
  });
}

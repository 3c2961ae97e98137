/**
 * Whether an error means "the database cannot be used right now" (restart, failover, network cut,
 * no free connection in time) rather than "this request is wrong". Such a failure is worth retrying
 * as is, and clients are told so (SERVICE_UNAVAILABLE, retryable) instead of a generic error.
 *
 * The error reaches us in many wrappings: a pg DatabaseError (SQLSTATE in `code`), a Node socket
 * error, Prisma's wrapping of adapter-pg's error (`meta.driverAdapterError.cause.originalCode`,
 * `kind`), a Prisma error code, or a GraphQLError's `originalError`. The walk looks at each.
 */

/** SQLSTATE classes and codes: 08 connection exception; 57P01-03 shutdown / cannot connect now; 53300 too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** Node socket errors on the way to the database. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** adapter-pg's error kinds for a database it cannot reach or lost. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

/**
 * Prisma: P1001 can't reach, P1002 timed out, P1017 server closed the connection, P2024 no pool
 * connection in time, P2028 the interactive transaction could not start in `maxWait` (or its
 * connection went away under it).
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024', 'P2028']);

/** pg and pg-pool report a dead or unreachable connection by message only. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)/i;

const MAX_DEPTH = 6;

export function isDatabaseUnavailable(error: unknown): boolean {
  return matches(error, 0, new Set());
}

function matches(value: unknown, depth: number, seen: Set<object>): boolean {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null || seen.has(value)) return false;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const key of ['code', 'originalCode', 'errorCode']) {
    const code = record[key];
    if (typeof code !== 'string') continue;
    if (UNAVAILABLE_SQLSTATE.test(code) || SOCKET_CODES.has(code) || PRISMA_CODES.has(code)) return true;
  }
  if (typeof record.kind === 'string' && ADAPTER_KINDS.has(record.kind)) return true;
  if (typeof record.message === 'string' && UNAVAILABLE_MESSAGE.test(record.message)) return true;
  for (const key of ['cause', 'originalError', 'meta', 'driverAdapterError', 'errors']) {
    const inner = record[key];
    if (Array.isArray(inner)) {
      if (inner.some((item) => matches(item, depth + 1, seen))) return true;
    } else if (matches(inner, depth + 1, seen)) return true;
  }
  return false;
}

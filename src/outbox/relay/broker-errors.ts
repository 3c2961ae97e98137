/**
 * Tells a broker that cannot be reached (an outage: the circuit breaker's business, no event's
 * fault) from an error about the events themselves (a retry of those events, then the dead letter).
 */
const connectivityErrorNames = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
  // Thrown by the publisher when connecting or creating topics fails (src/outbox/relay/publish-events.ts).
  'ProducerConnectError',
]);

type ErrorLike = {
  name?: string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
  code?: string;
};

export function isBrokerUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const candidate = current as ErrorLike;
    if (candidate.name && connectivityErrorNames.has(candidate.name)) return true;
    // Leader elections and "not enough replicas" are the cluster's state, not the message's.
    if (candidate.name === 'KafkaJSProtocolError' && candidate.retriable) return true;
    if (candidate.code === 'ECONNREFUSED' || candidate.code === 'ECONNRESET') return true;
    current = candidate.cause ?? candidate.originalError;
  }
  return false;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OutboxStatus } from '../outbox/status/outbox-status.ts';

/** The design document's REST prefix. */
export const OUTBOX_REST_PREFIX = '/api/v1/petstore-outbox';

/** The design document's `GET /api/v1/petstore-outbox/metrics` body, field for field. */
export type OutboxMetricsDocument = {
  outbox_metrics: {
    pending_events: number;
    failed_events: number;
    processed_today: number;
    running: boolean;
    kafka_connected: boolean;
  };
  service_status: OutboxStatus['serviceStatus'];
  kafka_status: OutboxStatus['kafkaStatus'];
  timestamp: string;
};

export function toOutboxMetricsDocument(status: OutboxStatus): OutboxMetricsDocument {
  return {
    outbox_metrics: {
      pending_events: status.pendingEvents,
      failed_events: status.failedEvents,
      processed_today: status.processedToday,
      running: status.running,
      kafka_connected: status.kafkaConnected,
    },
    service_status: status.serviceStatus,
    kafka_status: status.kafkaStatus,
    timestamp: status.timestamp.toISOString(),
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
}

/**
 * The design document's two REST endpoints, as aliases of what the server already computes:
 * `/metrics` answers the `outboxMetrics` query's numbers (the sampler's snapshot: no query per
 * request) in the document's JSON shape, `/health` answers what `/health` does. Like `outboxMetrics`
 * and `/metrics`, both are public: they carry counts and states, no event and no personal data.
 * Returns false when the path is not theirs.
 */
export async function handleOutboxRestAlias(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  {
    outboxMetrics,
    health,
  }: {
    outboxMetrics: () => Promise<OutboxStatus>;
    health: () => unknown;
  },
): Promise<boolean> {
  if (!path.startsWith(`${OUTBOX_REST_PREFIX}/`)) return false;
  const route = path.slice(OUTBOX_REST_PREFIX.length);
  if (route !== '/metrics' && route !== '/health') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    // The body, if any, is never read: the connection closes after the answer.
    res.shouldKeepAlive = false;
    send(req, res, 405, { error: 'Method not allowed: use GET.' }, { allow: 'GET, HEAD' });
    return true;
  }
  if (route === '/health') send(req, res, 200, health());
  else send(req, res, 200, toOutboxMetricsDocument(await outboxMetrics()));
  return true;
}

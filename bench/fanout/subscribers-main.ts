import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { z } from 'zod';
import { fromCursor } from '../../src/outbox/feed/read-published.ts';
import { LatencyHistogram } from '../lib/latency-histogram.ts';
import type { FromSubscribers, ToSubscribers } from './fan-out-protocol.ts';

/**
 * The fan-out's subscribers, in a process of their own so that parsing their deliveries does not
 * stall the harness's writer: SUBSCRIBERS graphql-ws clients, each with its own WebSocket and its
 * own eventPublished subscription. Each notes the cursors it received (a byte per cursor) and the
 * delay from the event's created_at to its arrival; the harness asks for the verdict at the end.
 */
const env = z
  .object({ WS_URL: z.string().min(1), SUBSCRIBERS: z.coerce.number().int().positive() })
  .parse(process.env);

const QUERY = `subscription FanOut { eventPublished(aggregateType: "pet") { cursor createdAt } }`;

type Subscriber = { seen: Uint8Array; received: number; duplicates: number };

const send = (message: FromSubscribers) => process.send?.(message);
let latency = new LatencyHistogram();
const errors: string[] = [];
let connected = 0;

const subscribers: Subscriber[] = Array.from({ length: env.SUBSCRIBERS }, () => ({
  seen: new Uint8Array(1024),
  received: 0,
  duplicates: 0,
}));

function note(subscriber: Subscriber, cursor: number): void {
  if (cursor >= subscriber.seen.length) {
    const grown = new Uint8Array(Math.max(cursor + 1, subscriber.seen.length * 2));
    grown.set(subscriber.seen);
    subscriber.seen = grown;
  }
  if (subscriber.seen[cursor]) subscriber.duplicates += 1;
  else subscriber.received += 1;
  subscriber.seen[cursor] = 1;
}

const clients = subscribers.map((subscriber) => {
  const client = createClient({
    url: env.WS_URL,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => {
        connected += 1;
        if (connected === env.SUBSCRIBERS) send({ type: 'connected', connected });
      },
    },
  });
  client.subscribe<{ eventPublished: { cursor: string; createdAt: string } }>(
    { query: QUERY },
    {
      next: (result) => {
        const event = result.data?.eventPublished;
        if (!event) {
          if (result.errors && errors.length < 5) errors.push(JSON.stringify(result.errors));
          return;
        }
        latency.record(Date.now() - Date.parse(event.createdAt));
        // The cursor's published_seq part: unique and dense, so it indexes a bitmap of what was seen.
        note(subscriber, Number(fromCursor(event.cursor).seq));
      },
      error: (error) => {
        if (errors.length < 5)
          errors.push(
            error instanceof Error ? error.message : String((error as { reason?: string }).reason ?? error),
          );
      },
      complete: () => {},
    },
  );
  return client;
});

process.on('message', (message: ToSubscribers) => {
  if (message.type === 'status') {
    let minReceived = Number.POSITIVE_INFINITY;
    let totalReceived = 0;
    for (const subscriber of subscribers) {
      minReceived = Math.min(minReceived, subscriber.received);
      totalReceived += subscriber.received;
    }
    send({ type: 'status', connected, minReceived, totalReceived, errors: errors.length });
    return;
  }
  if (message.type === 'reset') {
    latency = new LatencyHistogram();
    return;
  }
  let missed = 0;
  let subscribersMissingEvents = 0;
  let duplicates = 0;
  for (const subscriber of subscribers) {
    const missing = message.expectedCursors.filter((cursor) => !subscriber.seen[cursor]).length;
    missed += missing;
    if (missing > 0) subscribersMissingEvents += 1;
    duplicates += subscriber.duplicates;
  }
  send({
    type: 'report',
    subscribers: subscribers.length,
    deliveries: subscribers.reduce((sum, subscriber) => sum + subscriber.received, 0),
    missed,
    subscribersMissingEvents,
    duplicates,
    latency: latency.snapshot(),
    firstErrors: errors,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  });
  void Promise.all(clients.map((client) => client.dispose())).finally(() => process.exit(0));
});

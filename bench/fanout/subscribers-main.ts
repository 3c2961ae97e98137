import WebSocket from 'ws';
import { z } from 'zod';
import { compareCursors } from '../../src/outbox/feed/read-published.ts';
import { LatencyHistogram } from '../lib/latency-histogram.ts';
import type { FromSubscribers, ToSubscribers } from './fan-out-protocol.ts';

/**
 * The fan-out's subscribers, in a process of their own so that parsing their deliveries does not
 * stall the harness's writer: SUBSCRIBERS clients, each with its own WebSocket and its own
 * eventPublished subscription. Each notes the cursors it received (a byte per cursor), whether each
 * came after the previous one, and the delay from the event's created_at to its arrival; the
 * harness asks for the verdict at the end.
 *
 * They speak graphql-ws's protocol (graphql-transport-ws) themselves rather than through the
 * graphql-ws client: this process shares the machine with the server it measures, and the client
 * library's per-message work (validating every message, a promise chain per delivery) cost as much
 * CPU as a good part of the server's. What is checked is the same, and more: every message is
 * parsed in full, and order is checked too.
 */
const env = z
  .object({ WS_URL: z.string().min(1), SUBSCRIBERS: z.coerce.number().int().positive() })
  .parse(process.env);

const QUERY = `subscription FanOut { eventPublished(aggregateType: "pet") { cursor createdAt } }`;
/** graphql-ws's subprotocol. */
const PROTOCOL = 'graphql-transport-ws';
const SUBSCRIPTION_ID = '1';
/** A cursor is published_xid × 10^19 + published_seq (src/outbox/feed/read-published.ts). */
const SEQ_DIGITS = 19;

type Subscriber = {
  seen: Uint8Array;
  received: number;
  duplicates: number;
  /** Deliveries whose cursor did not come after the one before. */
  outOfOrder: number;
  lastCursor: string;
};

type NextMessage = {
  id?: string;
  type: string;
  payload?: {
    data?: { eventPublished?: { cursor: string; createdAt: string } | null } | null;
    errors?: unknown;
  };
};

const send = (message: FromSubscribers) => process.send?.(message);
let latency = new LatencyHistogram();
const errors: string[] = [];
let connected = 0;

const subscribers: Subscriber[] = Array.from({ length: env.SUBSCRIBERS }, () => ({
  seen: new Uint8Array(1024),
  received: 0,
  duplicates: 0,
  outOfOrder: 0,
  lastCursor: '',
}));

const noteError = (text: string) => {
  if (errors.length < 5) errors.push(text);
};

/** published_seq: unique and dense, so it indexes a bitmap of what was seen. */
function seqOf(cursor: string): number {
  return Number(cursor.length > SEQ_DIGITS ? cursor.slice(-SEQ_DIGITS) : cursor);
}

function note(subscriber: Subscriber, cursor: string): void {
  if (subscriber.lastCursor !== '' && compareCursors(cursor, subscriber.lastCursor) <= 0) {
    subscriber.outOfOrder += 1;
  }
  subscriber.lastCursor = cursor;
  const seq = seqOf(cursor);
  if (seq >= subscriber.seen.length) {
    const grown = new Uint8Array(Math.max(seq + 1, subscriber.seen.length * 2));
    grown.set(subscriber.seen);
    subscriber.seen = grown;
  }
  if (subscriber.seen[seq]) subscriber.duplicates += 1;
  else subscriber.received += 1;
  subscriber.seen[seq] = 1;
}

function connect(subscriber: Subscriber): WebSocket {
  const socket = new WebSocket(env.WS_URL, PROTOCOL, { perMessageDeflate: false });
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as NextMessage;
    if (message.type === 'next') {
      const event = message.payload?.data?.eventPublished;
      if (!event) {
        noteError(JSON.stringify(message.payload?.errors ?? message.payload));
        return;
      }
      latency.record(Date.now() - Date.parse(event.createdAt));
      note(subscriber, event.cursor);
    } else if (message.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: SUBSCRIPTION_ID, type: 'subscribe', payload: { query: QUERY } }));
      connected += 1;
      if (connected === env.SUBSCRIBERS) send({ type: 'connected', connected });
    } else if (message.type === 'ping') {
      socket.send(JSON.stringify({ type: 'pong' }));
    } else if (message.type !== 'pong') {
      noteError(`unexpected ${message.type}: ${JSON.stringify(message.payload ?? null)}`);
    }
  });
  socket.on('error', (error) => noteError(error.message));
  socket.on('close', (code, reason) => {
    if (!closing) noteError(`socket closed: ${code} ${reason.toString()}`);
  });
  return socket;
}

let closing = false;
const sockets = subscribers.map(connect);

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
  let outOfOrder = 0;
  for (const subscriber of subscribers) {
    const missing = message.expectedCursors.filter((cursor) => !subscriber.seen[cursor]).length;
    missed += missing;
    if (missing > 0) subscribersMissingEvents += 1;
    duplicates += subscriber.duplicates;
    outOfOrder += subscriber.outOfOrder;
  }
  send({
    type: 'report',
    subscribers: subscribers.length,
    deliveries: subscribers.reduce((sum, subscriber) => sum + subscriber.received, 0),
    missed,
    subscribersMissingEvents,
    duplicates,
    outOfOrder,
    latency: latency.snapshot(),
    firstErrors: errors,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  });
  closing = true;
  for (const socket of sockets) socket.close(1000);
  setTimeout(() => process.exit(0), 200).unref();
  void Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)))).then(
    () => process.exit(0),
  );
});

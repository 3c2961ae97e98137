/**
 * Subscriptions abused: a cursor past any 64-bit number (which must not make the feed loop forever), a
 * cursor whose successors retention deleted, filters full of NUL, and sockets that open subscriptions
 * or connections without end.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { enqueueEvents } from '../live/live-helpers.ts';
import { collectSubscription, wsClient } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { wsRequest } from './hostile-clients.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({
    OUTBOX_RELAY_ENABLED: 'false',
    WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
    WS_MAX_CONNECTIONS: '3',
  });
});

afterAll(async () => {
  await testApp?.stop();
});

const FEED = (after: string, extra = '') =>
  `subscription { eventPublished(after: "${after}"${extra}) { cursor eventId } }`;
const codeOf = (response: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  response.errors?.[0]?.extensions?.code;

/** Marks the pending events published, in order, as a relay would (numbers from the same sequence). */
async function publishAll(): Promise<string[]> {
  const rows = await testApp.app.services.prisma.$queryRaw<{ cursor: string }[]>`
    WITH pending AS (SELECT id FROM outbox_events WHERE status = 'pending' ORDER BY created_at, id),
         numbered AS (SELECT id, nextval('outbox_events_published_seq') AS seq FROM pending)
    UPDATE outbox_events o
    SET status = 'published', is_processed = true, processed_at = clock_timestamp(), published_seq = n.seq,
        published_xid = pg_current_xact_id()::text::bigint, kafka_partition = 0, kafka_offset = n.seq
    FROM numbered n WHERE o.id = n.id
    RETURNING (published_xid::numeric * 10000000000000000000 + published_seq)::text AS cursor`;
  return rows.map((row) => row.cursor).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

/** Deletes published rows up to `cursor`, as retention does with the oldest ones. */
async function purgeThrough(cursor: string): Promise<void> {
  await testApp.app.services.prisma.$executeRaw`
    DELETE FROM outbox_events WHERE published_seq <= (${cursor}::numeric % 10000000000000000000)::bigint`;
}

describe('cursors', () => {
  test('a cursor past 2^63−1 is refused at once, over WebSocket and SSE', async () => {
    const tooBig = '9223372036854775808';
    const overWs = await wsRequest(testApp.wsUrl, FEED(tooBig));
    expect(codeOf(overWs)).toBe('BAD_USER_INPUT');
    expect(overWs.errors?.[0]?.message).toContain('at most 9223372036854775807');

    const response = await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: FEED('9999999999999999999') }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    expect(text).toContain('BAD_USER_INPUT');
    expect(text).toContain('at most 9223372036854775807');
  });

  test('the largest cursor is accepted (and simply waits for events)', async () => {
    const client = wsClient(testApp.wsUrl);
    const subscription = collectSubscription(client, FEED('9223372036854775807'));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(subscription.errors).toEqual([]);
      expect(subscription.isCompleted()).toBe(false);
    } finally {
      subscription.stop();
      await client.dispose();
    }
  });

  test('a cursor whose successors retention deleted is CURSOR_EXPIRED; the oldest kept one is fine', async () => {
    await enqueueEvents(testApp.app.services.prisma, {
      count: 5,
      topicPrefix: testApp.config.kafka.topicPrefix,
    });
    const cursors = await publishAll();
    expect(cursors).toHaveLength(5);
    const [first, second, third, , fifth] = cursors as [string, string, string, string, string];
    await purgeThrough(second);

    for (const expired of ['0', first]) {
      const response = await wsRequest(testApp.wsUrl, FEED(expired));
      expect(codeOf(response)).toBe('CURSOR_EXPIRED');
    }
    // Resuming right after the last deleted event loses nothing: the next one is still there.
    const client = wsClient(testApp.wsUrl);
    const resumed = collectSubscription<{ eventPublished: { cursor: string } }>(client, FEED(second));
    try {
      await waitFor(() => resumed.received.length === 3, { what: 'the three kept events' });
      expect(resumed.received.map((event) => event.eventPublished.cursor)).toEqual(cursors.slice(2));
      expect(resumed.errors).toEqual([]);
    } finally {
      resumed.stop();
      await client.dispose();
    }

    // With every published event deleted, a cursor cannot be told from one whose successor is still
    // being marked: it is accepted, and the subscription waits for new events.
    await purgeThrough(fifth);
    const late = wsClient(testApp.wsUrl);
    const fromThird = collectSubscription(late, FEED(third));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(fromThird.errors).toEqual([]);
    } finally {
      fromThird.stop();
      await late.dispose();
    }
  });

  test('filters holding NUL are refused, not retried against the database forever', async () => {
    const response = await wsRequest(testApp.wsUrl, FEED('0', ', aggregateId: "a\\u0000b"'));
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('control characters');
  });
});

describe('caps', () => {
  test('a socket may run at most WS_MAX_SUBSCRIPTIONS_PER_SOCKET operations at once', async () => {
    const client = wsClient(testApp.wsUrl);
    const subscriptions = [0, 1, 2, 3].map(() =>
      collectSubscription(client, 'subscription { outboxMetricsUpdated { pendingEvents } }'),
    );
    try {
      await waitFor(() => subscriptions.filter((s) => s.errors.length > 0).length === 1, {
        what: 'one subscription refused',
      });
      const refused = subscriptions.find((s) => s.errors.length > 0);
      expect(JSON.stringify(refused?.errors)).toContain('At most 3 operations');
      await waitFor(() => subscriptions.filter((s) => s.received.length > 0).length === 3, {
        what: 'the three others to run',
      });
    } finally {
      for (const subscription of subscriptions) subscription.stop();
      await client.dispose();
    }
  });

  test('at most WS_MAX_CONNECTIONS sockets are open at once; a closed one frees its place', async () => {
    const open = (): Promise<WebSocket | number> =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(testApp.wsUrl, 'graphql-transport-ws');
        socket.once('open', () => resolve(socket));
        socket.once('unexpected-response', (_request, response) => {
          resolve(response.statusCode ?? 0);
          socket.terminate();
        });
        socket.once('error', (error) => {
          if (socket.readyState !== WebSocket.CLOSED) reject(error);
        });
      });
    const held = [await open(), await open(), await open()];
    try {
      expect(held.every((socket) => socket instanceof WebSocket)).toBe(true);
      expect(await open()).toBe(503);
      (held[0] as WebSocket).close();
      const again = await waitFor(
        async () => {
          const result = await open();
          return result instanceof WebSocket ? result : null;
        },
        { what: 'a place to free up' },
      );
      held.push(again);
    } finally {
      for (const socket of held) if (socket instanceof WebSocket) socket.close();
    }
  });
});

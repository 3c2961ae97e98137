/**
 * Subscribers behind the live feed's memory of recent events (OUTBOX_FEED_MEMORY_EVENTS, small here):
 * they read their way back from the table through one shared catch-up reader. Seen from outside, over
 * the server's WebSocket and SSE transports and its /metrics: page reads shared by the subscribers at
 * the same place, a client that stops reading holding no backlog in the server, and every event once,
 * in publication order, while two relays mark concurrently.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../src/infra/logger.ts';
import { createPublishedFeed } from '../../src/outbox/feed/published-feed.ts';
import {
  enqueueEvents as enqueueConcurrently,
  type InProcessRelay,
  startInProcessRelay,
} from '../outbox/relay-harness.ts';
import { collectSubscription, wsClient } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { publishedOrder } from './live-helpers.ts';

/** Events the feed keeps in memory in this file's server: anything older is read from the table. */
const MEMORY_EVENTS = 50;
/** The feed's page size (src/outbox/feed/published-feed.ts). */
const PAGE_SIZE = 500;

const FEED = `subscription Feed($after: String, $aggregateType: String) {
  eventPublished(after: $after, aggregateType: $aggregateType) { cursor eventId aggregateType }
}`;
/** The feed with each event's payload: messages as big as the events. */
const FEED_WITH_DATA = `subscription FeedWithData($after: String) {
  eventPublished(after: $after) { cursor eventId aggregateType data }
}`;
type Received = { eventPublished: { cursor: string; eventId: string; aggregateType: string } };

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ OUTBOX_FEED_MEMORY_EVENTS: String(MEMORY_EVENTS) });
});

afterAll(async () => {
  await testApp?.stop();
});

const prisma = () => testApp.app.services.prisma;

/** The feed's numbers from the server's /metrics, as an operator sees them. */
async function feedMetrics() {
  const text = await (await fetch(`${testApp.url}/metrics`)).text();
  const value = (name: string, labels: string) => {
    const match = new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`${name}{${labels}} is not on /metrics`);
    return Number(match[1]);
  };
  return {
    catchUpPagesRead: value('petstore_feed_pages_read_total', 'reader="catch_up"'),
    recentEvents: value('petstore_feed_buffered_events', 'buffer="recent"'),
    catchUpEvents: value('petstore_feed_buffered_events', 'buffer="catch_up"'),
    catchingUp: value('petstore_feed_subscribers', 'state="catching_up"'),
  };
}

async function lastCursor(): Promise<string> {
  return (await publishedOrder(prisma())).at(-1)?.cursor ?? '0';
}

async function publishedAfter(cursor: string) {
  return (await publishedOrder(prisma())).filter((row) => BigInt(row.cursor) > BigInt(cursor));
}

/**
 * `count` events written and marked published in one transaction, as a relay's mark would leave them
 * (numbers from the same sequence), without Kafka: fast enough to put thousands behind a subscriber.
 * `paddingBytes` makes each event's JSON that much bigger.
 */
async function publishInBulk(count: number, paddingBytes = 0): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  await prisma().$executeRaw`
    INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                               status, is_processed, processed_at, published_seq, published_xid,
                               kafka_partition, kafka_offset)
    SELECT ${tag} || '-' || i, 'pet', 'pet.created',
           json_build_object('index', i, 'padding', repeat('x', ${paddingBytes}::int))::text,
           'bulk.pets', 1, 'published', true, clock_timestamp(), nextval('outbox_events_published_seq'),
           pg_current_xact_id()::text::bigint, 0, i
    FROM generate_series(1, ${count}::int) AS i
    ORDER BY i`;
  // The relay's commit would announce it; the feed's poll finds it as well, this is only sooner.
  await prisma().$executeRaw`SELECT pg_notify('outbox_published', '')`;
}

/**
 * Until a feed may read everything published so far. Generous: the feed reads only marks older than
 * every transaction running in the PostgreSQL cluster, and other work on a shared server (a benchmark's
 * overloaded API) can hold transactions open for seconds.
 */
async function marksSettled(): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await prisma().$queryRaw<{ settled: boolean }[]>`
        SELECT max(published_xid) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS settled
        FROM outbox_events`;
      return row?.settled === true;
    },
    { what: 'the marks to settle', timeoutMs: 60_000 },
  );
}

/** A feed of this test's own on a pool of its own, so that its subscribers can be driven exactly. */
function ownFeed() {
  const pool = new pg.Pool({ connectionString: testApp.database.url, max: 3 });
  const feed = createPublishedFeed({
    pool,
    databaseUrl: testApp.database.url,
    logger: createLogger({ log: { level: 'silent', format: 'json' }, serviceName: 'test' }),
    pollIntervalMs: 100,
    memoryEvents: MEMORY_EVENTS,
  });
  return {
    feed,
    async stop() {
      await feed.stop();
      await pool.end();
    },
  };
}

/**
 * An SSE subscription whose reader can stop reading (as a slow or stalled client does: the server's
 * writes then back up into the TCP connection) and resume. node:http, not fetch: a paused
 * IncomingMessage stops reading its socket, where fetch's body stream kept reading into memory.
 */
function pausableSse(variables: Record<string, unknown>) {
  const received: Received[] = [];
  const errors: unknown[] = [];
  let response: http.IncomingMessage | null = null;
  let paused = false;
  const request = http.request(testApp.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
  });
  request.on('error', (error) => {
    if (!request.destroyed) errors.push(error);
  });
  request.on('response', (incoming) => {
    response = incoming;
    if (paused) incoming.pause();
    incoming.setEncoding('utf8');
    let buffer = '';
    incoming.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (message.includes('event: next') && data) {
          const result = JSON.parse(data) as { data?: Received; errors?: unknown };
          if (result.errors) errors.push(result.errors);
          if (result.data) received.push(result.data);
        }
        end = buffer.indexOf('\n\n');
      }
    });
  });
  request.end(JSON.stringify({ query: FEED, variables }));
  return {
    received,
    errors,
    pause() {
      paused = true;
      response?.pause();
    },
    resume() {
      paused = false;
      response?.resume();
    },
    async stop() {
      request.destroy();
    },
  };
}

/**
 * A graphql-ws subscription whose client can stop reading its socket and resume. The protocol is
 * spoken by hand (graphql-transport-ws) so that pausing stops the reads at the TCP socket: the
 * server's writes then back up, as with a slow client.
 */
function pausableWs(variables: Record<string, unknown>) {
  const received: Received[] = [];
  const errors: unknown[] = [];
  let subscribed = false;
  const socket = new WebSocket(testApp.wsUrl, 'graphql-transport-ws');
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as {
      type: string;
      payload?: { data?: Received; errors?: unknown };
    };
    if (message.type === 'connection_ack') {
      socket.send(
        JSON.stringify({ id: '1', type: 'subscribe', payload: { query: FEED_WITH_DATA, variables } }),
      );
      subscribed = true;
    } else if (message.type === 'next') {
      if (message.payload?.errors) errors.push(message.payload.errors);
      if (message.payload?.data) received.push(message.payload.data);
    } else if (message.type !== 'pong') errors.push(message);
  });
  socket.on('error', (error) => errors.push(error));
  return {
    received,
    errors,
    isSubscribed: () => subscribed,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    stop: () => socket.terminate(),
  };
}

/** The server's graphql-ws sockets: bytes held unsent, and sockets waiting for their client to read. */
async function webSocketMetrics() {
  const text = await (await fetch(`${testApp.url}/metrics`)).text();
  const value = (name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`${name} is not on /metrics`);
    return Number(match[1]);
  };
  return {
    bufferedBytes: value('petstore_websocket_buffered_bytes'),
    heldBack: value('petstore_websockets_held_back'),
  };
}

const cursorsOf = (received: Received[]) => received.map((entry) => entry.eventPublished.cursor);

describe('subscribers behind the feed’s memory', () => {
  test('share each page read from the table: one read per page, however many subscribers', async () => {
    const since = await lastCursor();
    const count = 1200;
    await publishInBulk(count);
    await marksSettled();
    const expected = (await publishedAfter(since)).map((row) => row.cursor);
    expect(expected).toHaveLength(count);
    const readsBefore = (await feedMetrics()).catchUpPagesRead;

    const clients = Array.from({ length: 12 }, () => wsClient(testApp.wsUrl));
    const subscriptions = clients.map((client) =>
      collectSubscription<Received>(client, FEED, { after: since }),
    );
    try {
      for (const subscription of subscriptions) {
        await waitFor(() => subscription.received.length >= count, {
          what: 'every event',
          timeoutMs: 30_000,
        });
        expect(cursorsOf(subscription.received)).toEqual(expected);
        expect(subscription.errors).toEqual([]);
      }
      // No one subscribed while they were published, so the feed read none of them: the first
      // subscriber started its memory at the table's end, and all came from the table, in pages of
      // PAGE_SIZE, each read once.
      const pages = Math.ceil(count / PAGE_SIZE);
      expect((await feedMetrics()).catchUpPagesRead - readsBefore).toBe(pages);
    } finally {
      for (const subscription of subscriptions) subscription.stop();
      for (const client of clients) await client.dispose();
    }
  });

  test('clients that stop reading hold back no one, leave the feed’s buffers within bounds, and get everything once they read again', async () => {
    const since = await lastCursor();
    const stalled = Array.from({ length: 4 }, () => pausableSse({ after: since }));
    const client = wsClient(testApp.wsUrl);
    const reading = collectSubscription<Received>(client, FEED, { after: since });
    try {
      for (const subscriber of stalled) subscriber.pause();
      // 4 KB per event, 24 MB in all: far more than the connections' buffers take.
      const count = 6000;
      await publishInBulk(count, 4096);
      // The client that reads is held back by none of the stalled ones.
      await waitFor(() => reading.received.length >= count, {
        what: 'the reading client',
        timeoutMs: 60_000,
      });
      const expected = (await publishedAfter(since)).map((row) => row.cursor);
      expect(cursorsOf(reading.received)).toEqual(expected);

      // The stalled subscribers wait as cursors: what the feed holds is its bounded memory and cache,
      // no queue per subscriber, whatever they have not taken.
      const metrics = await feedMetrics();
      expect(metrics.recentEvents).toBeLessThanOrEqual(MEMORY_EVENTS);
      expect(metrics.catchUpEvents).toBeLessThanOrEqual(8 * PAGE_SIZE);
      for (const subscriber of stalled) expect(subscriber.received.length).toBeLessThan(count);

      for (const subscriber of stalled) subscriber.resume();
      for (const subscriber of stalled) {
        await waitFor(() => subscriber.received.length >= count, {
          what: 'a resumed client',
          timeoutMs: 60_000,
        });
        expect(cursorsOf(subscriber.received)).toEqual(expected);
        expect(subscriber.errors).toEqual([]);
      }
      await waitFor(async () => (await feedMetrics()).catchingUp === 0, { what: 'everyone caught up' });
    } finally {
      reading.stop();
      await client.dispose();
      for (const subscriber of stalled) await subscriber.stop();
    }
  });

  test('a WebSocket client that stops reading holds back its own subscription only, with a bounded buffer in the server', async () => {
    const since = await lastCursor();
    // Its messages carry the events' 4 KB payloads: 24 MB in all, more than the kernel's buffers
    // (a client that does not read keeps its receive buffer small) and the server's limit take.
    const stalled = pausableWs({ after: since });
    const client = wsClient(testApp.wsUrl);
    const reading = collectSubscription<Received>(client, FEED, { after: since });
    try {
      await waitFor(() => stalled.isSubscribed(), { what: 'the stalled client to subscribe' });
      stalled.pause();
      // 4 KB per event, 24 MB in all: far more than the kernel's socket buffers take.
      const count = 6000;
      await publishInBulk(count, 4096);
      await waitFor(() => reading.received.length >= count, {
        what: 'the reading client',
        timeoutMs: 60_000,
      });
      const expected = (await publishedAfter(since)).map((row) => row.cursor);
      expect(cursorsOf(reading.received)).toEqual(expected);

      // The server stopped taking events for the stalled socket once its buffer was full: it holds
      // some tens of kilobytes for it (64 KiB and one message past it), not the 24 MB published.
      await waitFor(async () => (await webSocketMetrics()).heldBack === 1, { what: 'the socket held back' });
      const { bufferedBytes } = await webSocketMetrics();
      expect(bufferedBytes).toBeGreaterThan(0);
      expect(bufferedBytes).toBeLessThanOrEqual(64 * 1024 + 8 * 1024);
      expect(stalled.received.length).toBeLessThan(count);

      stalled.resume();
      await waitFor(() => stalled.received.length >= count, {
        what: 'the resumed client',
        timeoutMs: 60_000,
      });
      expect(cursorsOf(stalled.received)).toEqual(expected);
      expect(stalled.errors).toEqual([]);
      expect(reading.errors).toEqual([]);
      await waitFor(async () => (await webSocketMetrics()).heldBack === 0, { what: 'nobody held back' });
    } finally {
      reading.stop();
      await client.dispose();
      stalled.stop();
    }
  });

  test('miss nothing and repeat nothing while two relays mark concurrently', async () => {
    const since = await lastCursor();
    const readsBefore = (await feedMetrics()).catchUpPagesRead;
    // A second relay beside the server's own: their marks interleave and commit out of number order.
    const second: InProcessRelay = startInProcessRelay({
      DATABASE_URL: testApp.database.url,
      KAFKA_TOPIC_PREFIX: testApp.config.kafka.topicPrefix,
      OUTBOX_BATCH_SIZE: '20',
    });
    await second.started;
    const clients: ReturnType<typeof wsClient>[] = [];
    const subscribe = (variables: Record<string, unknown>) => {
      const client = wsClient(testApp.wsUrl);
      clients.push(client);
      return collectSubscription<Received>(client, FEED, variables);
    };
    // Live from the start; from `since` while the gap is written; a filtered one; and a slow SSE reader.
    const live = subscribe({ after: since });
    const orders = subscribe({ after: since, aggregateType: 'order' });
    const slow = pausableSse({ after: since });
    const padding = 'x'.repeat(2048);
    const events = Array.from({ length: 1500 }, (_, i) => ({
      aggregateType: (i % 3 === 0 ? 'order' : 'pet') as 'order' | 'pet',
      aggregateId: `agg-${i % 40}-${randomUUID().slice(0, 4)}`,
      eventType: i % 3 === 0 ? 'order.created' : 'pet.created',
      data: { i, padding },
    }));
    let late: ReturnType<typeof subscribe> | null = null;
    try {
      const writing = enqueueConcurrently({ prisma: prisma() }, testApp.config.kafka.topicPrefix, events, {
        perTransaction: 3,
        concurrency: 6,
      });
      // The slow reader stops and starts while events flow, falling behind the memory again and again.
      const stutter = setInterval(() => {
        slow.pause();
        setTimeout(() => slow.resume(), 150);
      }, 300);
      await waitFor(async () => (await publishedAfter(since)).length >= 500, { what: '500 publications' });
      late = subscribe({ after: since });
      await writing;
      await waitFor(async () => (await publishedAfter(since)).length === events.length, {
        what: 'every event published',
        timeoutMs: 60_000,
      });
      clearInterval(stutter);
      slow.resume();
      const rows = await prisma().$queryRaw<{ id: string; aggregate_type: string }[]>`
        SELECT id::text, aggregate_type FROM outbox_events WHERE published_seq IS NOT NULL
        ORDER BY published_xid, published_seq`;
      const order = (await publishedOrder(prisma())).filter((row) => BigInt(row.cursor) > BigInt(since));
      const typeOf = new Map(rows.map((row) => [row.id, row.aggregate_type]));
      const all = order.map((row) => row.cursor);
      const ordersOnly = order.filter((row) => typeOf.get(row.id) === 'order').map((row) => row.cursor);
      const lateSubscription = late;
      for (const [name, received, expected] of [
        ['live', live.received, all],
        ['late', lateSubscription.received, all],
        ['slow (SSE)', slow.received, all],
        ['orders', orders.received, ordersOnly],
      ] as const) {
        await waitFor(() => received.length >= expected.length, {
          what: `${name}: every event`,
          timeoutMs: 60_000,
        });
        expect(cursorsOf(received), name).toEqual(expected);
      }
      expect([...live.errors, ...lateSubscription.errors, ...orders.errors, ...slow.errors]).toEqual([]);
      // Some of it came through the catch-up reader (the memory holds 50 events).
      expect((await feedMetrics()).catchUpPagesRead).toBeGreaterThan(readsBefore);
    } finally {
      live.stop();
      orders.stop();
      late?.stop();
      await slow.stop();
      for (const client of clients) await client.dispose();
      await second.stop();
    }
  });

  test('a subscriber that takes nothing holds its place only: the gap is read back from the table, once for all', async () => {
    // The feed module on its own (a pool of its own), so that a subscriber can stall exactly: its
    // iterator is not pulled. Over a transport the connection's buffers would take some events first.
    const { feed, stop } = ownFeed();
    await feed.start();
    const since = await lastCursor();
    const iterators = Array.from({ length: 20 }, () => feed.subscribe({}, since)[Symbol.asyncIterator]());
    // Each takes one event and then nothing more.
    const firsts = iterators.map((iterator) => iterator.next());
    try {
      const count = 3000;
      await publishInBulk(count);
      const firstCursors = (await Promise.all(firsts)).map((first) =>
        first.done ? null : first.value.cursor,
      );
      await waitFor(() => feed.stats().recentEvents === MEMORY_EVENTS, {
        what: 'the feed to read on',
        timeoutMs: 60_000,
      });
      await waitFor(async () => (await publishedAfter(since)).length === count, { what: 'the events' });
      // None takes its next event: the feed holds its memory of recent events, and at most the one
      // page they share (the page their first events came from, if they had fallen out of memory).
      const stalled = feed.stats();
      expect(stalled.recentEvents).toBe(MEMORY_EVENTS);
      expect(stalled.catchUpPagesRead).toBeLessThanOrEqual(1);
      expect(stalled.catchUpEvents).toBeLessThanOrEqual(PAGE_SIZE);

      const expected = (await publishedAfter(since)).map((row) => row.cursor);
      const received = await Promise.all(
        iterators.map(async (iterator, at) => {
          const cursors = [firstCursors[at] as string];
          while (cursors.length < count) {
            const next = await iterator.next();
            if (next.done) break;
            cursors.push(next.value.cursor);
          }
          return cursors;
        }),
      );
      for (const cursors of received) expect(cursors).toEqual(expected);
      // The 20 read the gap before the memory's first event together: each page once, as one
      // subscriber would (one more where a page was cut short at where the memory then began).
      expect(feed.stats().catchUpPagesRead).toBeLessThanOrEqual(
        Math.ceil((count - MEMORY_EVENTS) / PAGE_SIZE) + 1,
      );
      expect(feed.stats().catchUpEvents).toBeLessThanOrEqual(8 * PAGE_SIZE);
    } finally {
      for (const iterator of iterators) await iterator.return?.();
      await stop();
    }
  });
});

describe('a feed no one subscribes to', () => {
  /** The next `count` events of a subscription, by cursor. */
  const take = async (iterator: AsyncIterator<{ cursor: string }>, count: number) => {
    const cursors: string[] = [];
    while (cursors.length < count) {
      const next = await iterator.next();
      if (next.done) break;
      cursors.push(next.value.cursor);
    }
    return cursors;
  };
  /**
   * Announced publications reach the feed's listener within milliseconds; what must not happen is
   * a read, which nothing announces: the test looks after several of the feed's poll intervals.
   */
  const afterAnnouncements = () => new Promise((resolve) => setTimeout(resolve, 500));

  test('reads nothing; a subscriber that comes later still gets every event after its cursor, once, in order', async () => {
    const { feed, stop } = ownFeed();
    await feed.start();
    const iterators: AsyncIterator<{ cursor: string }>[] = [];
    try {
      const since = await lastCursor();
      const readsAtStart = feed.stats().livePagesRead;
      await publishInBulk(700);
      await marksSettled();
      await afterAnnouncements();
      expect(feed.stats()).toMatchObject({ livePagesRead: readsAtStart, recentEvents: 0 });

      // One from a cursor before them, one from now on.
      const fromSince = feed.subscribe({}, since)[Symbol.asyncIterator]();
      iterators.push(fromSince);
      const gap = await take(fromSince, 700);
      expect(gap).toEqual((await publishedAfter(since)).map((row) => row.cursor));
      expect(feed.stats().catchUpPagesRead).toBe(2);
      const fromNow = feed.subscribe({})[Symbol.asyncIterator]();
      iterators.push(fromNow);
      const liveFirst = fromNow.next();
      expect(feed.stats().subscribers).toBe(2);
      const last = gap.at(-1) as string;
      await publishInBulk(3);
      const live = (await publishedAfter(last)).map((row) => row.cursor);
      expect(live).toHaveLength(3);
      expect(await take(fromSince, 3)).toEqual(live);
      const first = await liveFirst;
      expect([first.done ? null : first.value.cursor, ...(await take(fromNow, 2))]).toEqual(live);

      // Both leave; events go by unread; one comes back from where it was. The memory the feed had
      // is older than what it skipped: it starts over, and the gap comes from the table.
      for (const iterator of iterators.splice(0)) await iterator.return?.();
      await waitFor(() => feed.stats().subscribers === 0, { what: 'the subscribers to leave' });
      const readsBefore = feed.stats().livePagesRead;
      await publishInBulk(200);
      await marksSettled();
      await afterAnnouncements();
      expect(feed.stats().livePagesRead).toBe(readsBefore);
      const back = feed.subscribe({}, live.at(-1))[Symbol.asyncIterator]();
      iterators.push(back);
      const missed = (await publishedAfter(live.at(-1) as string)).map((row) => row.cursor);
      expect(missed).toHaveLength(200);
      expect(await take(back, 200)).toEqual(missed);
      await publishInBulk(1);
      expect(await take(back, 1)).toEqual(
        (await publishedAfter(missed.at(-1) as string)).map((row) => row.cursor),
      );
    } finally {
      for (const iterator of iterators) await iterator.return?.();
      await stop();
    }
  });
});

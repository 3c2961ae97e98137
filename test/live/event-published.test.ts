import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { createLogger } from '../../src/infra/logger.ts';
import type { PublishedEvent } from '../../src/outbox/feed/published-event.ts';
import { createPublishedFeed } from '../../src/outbox/feed/published-feed.ts';
import { topicFor } from '../../src/outbox/topics.ts';
import { ADMIN_HEADERS } from '../support/admin.ts';
import { collectSubscription, graphql, wsClient } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { enqueueEvents, publishedOrder, sseSubscribe } from './live-helpers.ts';

type Received = {
  eventPublished: {
    cursor: string;
    eventId: string;
    aggregateType: string;
    aggregateId: string;
    aggregateSequence: number;
    eventType: string;
    data: unknown;
    correlationId: string | null;
    topic: string;
    partition: number;
    offset: string;
    publishedAt: string;
  };
};

const EVENT_PUBLISHED = `subscription Feed($after: String, $aggregateType: String, $aggregateId: String, $eventType: String, $topic: String) {
  eventPublished(after: $after, aggregateType: $aggregateType, aggregateId: $aggregateId, eventType: $eventType, topic: $topic) {
    cursor eventId aggregateType aggregateId aggregateSequence eventType data correlationId topic partition offset publishedAt
  }
}`;

let testApp: TestApp;
/** A pool of the test's own, for driving the feed module directly. */
let ownPool: pg.Pool;

beforeAll(async () => {
  testApp = await startTestApp();
  ownPool = new pg.Pool({ connectionString: testApp.database.url, max: 3 });
});

afterAll(async () => {
  await ownPool?.end();
  await testApp?.stop();
});

/** The feed's cursor computed in SQL (src/outbox/read-published.ts): published_xid × 10^19 + published_seq. */
const CURSOR_SQL = Prisma.sql`(published_xid::numeric * 10000000000000000000 + published_seq)::text`;

const cursorsOf = (received: Received[]) => received.map((entry) => entry.eventPublished.cursor);
const pool = () => testApp.app.services.prisma;

/** What the table says was published after `cursor`, in publication order. */
async function publishedAfter(cursor: string) {
  return (await publishedOrder(pool())).filter((row) => BigInt(row.cursor) > BigInt(cursor));
}

/** Events written in the background, one transaction each, while the relay publishes them. */
function produceInBackground(count: number, aggregateIds: string[]) {
  return enqueueEvents(pool(), {
    count,
    topicPrefix: testApp.config.kafka.topicPrefix,
    aggregateId: (index) => aggregateIds[index % aggregateIds.length] ?? randomUUID(),
  });
}

async function startCursor(): Promise<string> {
  const rows = await publishedOrder(pool());
  return rows.at(-1)?.cursor ?? '0';
}

/**
 * Disconnects a client while events flow, reconnects with `after:` = the last cursor it saw, and
 * checks what it received, before and after, against the table's order of publication.
 */
async function resumeWithoutGaps(transport: {
  open(after: string | null): { received: Received[]; errors(): unknown[]; stop(): void | Promise<void> };
}) {
  const since = await startCursor();
  const aggregates = Array.from({ length: 7 }, () => randomUUID());
  // From `since`, so whenever its subscription reaches the server, it starts at the same place.
  const first = transport.open(since);
  const producing = produceInBackground(40, aggregates);
  let producingMore: Promise<string[]> | null = null;
  let second: ReturnType<typeof transport.open> | null = null;
  try {
    await waitFor(() => first.received.length >= 15, { what: 'the first client to see 15 events' });
    await first.stop();
    const seenBefore = [...first.received];
    const lastSeen = seenBefore.at(-1)?.eventPublished.cursor as string;
    // More is written and published while nobody listens, and goes on being written while the client
    // reconnects. Written after the stop, so it comes after what the first client saw, however far
    // the first batch had got by then.
    producingMore = produceInBackground(40, aggregates);
    await waitFor(async () => (await publishedAfter(lastSeen)).length >= 15, {
      what: 'events published while disconnected',
    });
    second = transport.open(lastSeen);
    const ids = [...(await producing), ...(await producingMore)];
    await waitFor(async () => (await publishedAfter(since)).length === ids.length, {
      what: 'every event to be published',
      timeoutMs: 30_000,
    });
    const expected = await publishedAfter(since);
    const current = second;
    await waitFor(() => current.received.at(-1)?.eventPublished.cursor === expected.at(-1)?.cursor, {
      what: 'the resumed client to reach the last event',
    });
    const all = [...seenBefore, ...current.received];
    expect(cursorsOf(all)).toEqual(expected.map((row) => row.cursor));
    expect(all.map((entry) => entry.eventPublished.eventId)).toEqual(expected.map((row) => row.id));
    expect(new Set(cursorsOf(all)).size).toBe(all.length);
    expect(first.errors()).toEqual([]);
    expect(current.errors()).toEqual([]);
    return { before: seenBefore.length, after: current.received.length };
  } finally {
    await producing.catch(() => {});
    await producingMore?.catch(() => {});
    await second?.stop();
  }
}

describe('eventPublished', () => {
  test('delivers what landed in Kafka, with every field', async () => {
    const client = wsClient(testApp.wsUrl);
    const aggregateId = randomUUID();
    const subscription = collectSubscription<Received>(client, EVENT_PUBLISHED, {
      aggregateId,
      after: await startCursor(),
    });
    try {
      await enqueueEvents(pool(), {
        count: 1,
        topicPrefix: testApp.config.kafka.topicPrefix,
        aggregateId: () => aggregateId,
      });
      const { eventPublished: event } = await waitFor(() => subscription.received[0], {
        what: 'the event',
      });
      const [row] = await pool().$queryRaw<
        { id: string; cursor: string; kafka_partition: number; kafka_offset: string; topic: string }[]
      >`SELECT id::text, ${CURSOR_SQL} AS cursor, kafka_partition, kafka_offset::text, topic
        FROM outbox_events WHERE aggregate_id = ${aggregateId}`;
      expect(event).toMatchObject({
        cursor: row?.cursor,
        eventId: row?.id,
        aggregateType: 'pet',
        aggregateId,
        aggregateSequence: 1,
        eventType: 'pet.created',
        data: { index: 0 },
        correlationId: null,
        topic: row?.topic,
        partition: row?.kafka_partition,
        offset: row?.kafka_offset,
      });
      expect(Number.isNaN(Date.parse(event.publishedAt))).toBe(false);
    } finally {
      subscription.stop();
      await client.dispose();
    }
  });

  test('filters by aggregate type, aggregate id, event type and topic', async () => {
    const prefix = testApp.config.kafka.topicPrefix;
    const client = wsClient(testApp.wsUrl);
    const orderId = randomUUID();
    const since = await startCursor();
    const subscriptions = {
      orders: collectSubscription<Received>(client, EVENT_PUBLISHED, {
        after: since,
        aggregateType: 'order',
      }),
      oneOrder: collectSubscription<Received>(client, EVENT_PUBLISHED, {
        after: since,
        aggregateId: orderId,
      }),
      cancelled: collectSubscription<Received>(client, EVENT_PUBLISHED, {
        after: since,
        eventType: 'order.cancelled',
      }),
      userTopic: collectSubscription<Received>(client, EVENT_PUBLISHED, {
        after: since,
        topic: topicFor(prefix, 'user'),
      }),
      combined: collectSubscription<Received>(client, EVENT_PUBLISHED, {
        after: since,
        aggregateType: 'order',
        eventType: 'order.created',
      }),
    };
    try {
      await enqueueEvents(pool(), { count: 2, topicPrefix: prefix });
      await enqueueEvents(pool(), {
        count: 2,
        topicPrefix: prefix,
        aggregateType: 'order',
        eventType: 'order.created',
        aggregateId: () => orderId,
      });
      await enqueueEvents(pool(), {
        count: 1,
        topicPrefix: prefix,
        aggregateType: 'order',
        eventType: 'order.cancelled',
      });
      await enqueueEvents(pool(), {
        count: 2,
        topicPrefix: prefix,
        aggregateType: 'user',
        eventType: 'user.registered',
      });
      await waitFor(async () => (await publishedAfter(since)).length === 7, { what: '7 publications' });
      const rows = await pool().$queryRaw<
        { cursor: string; aggregate_type: string; aggregate_id: string; event_type: string; topic: string }[]
      >`SELECT ${CURSOR_SQL} AS cursor, aggregate_type, aggregate_id, event_type, topic
        FROM outbox_events WHERE ${CURSOR_SQL}::numeric > ${since}::numeric ORDER BY published_xid, published_seq`;
      const expectations: [keyof typeof subscriptions, (row: (typeof rows)[number]) => boolean][] = [
        ['orders', (row) => row.aggregate_type === 'order'],
        ['oneOrder', (row) => row.aggregate_id === orderId],
        ['cancelled', (row) => row.event_type === 'order.cancelled'],
        ['userTopic', (row) => row.topic === topicFor(prefix, 'user')],
        ['combined', (row) => row.aggregate_type === 'order' && row.event_type === 'order.created'],
      ];
      for (const [name, matches] of expectations) {
        const expected = rows.filter(matches).map((row) => row.cursor);
        const subscription = subscriptions[name];
        await waitFor(() => subscription.received.length >= expected.length, { what: `${name} events` });
        expect(cursorsOf(subscription.received), name).toEqual(expected);
        expect(subscription.errors, name).toEqual([]);
      }
    } finally {
      for (const subscription of Object.values(subscriptions)) subscription.stop();
      await client.dispose();
    }
  });

  test('resumes without a gap or a duplicate after a disconnect while events flow (graphql-ws)', async () => {
    const clients: ReturnType<typeof wsClient>[] = [];
    const counts = await resumeWithoutGaps({
      open(after) {
        const client = wsClient(testApp.wsUrl);
        clients.push(client);
        const subscription = collectSubscription<Received>(client, EVENT_PUBLISHED, { after });
        return {
          received: subscription.received,
          // The close that terminate() causes is the point of the test, not a failure.
          errors: () => subscription.errors.filter((error) => (error as { code?: number }).code !== 4499),
          // Gone without unsubscribing, as a dropped connection is.
          stop: () => client.terminate(),
        };
      },
    });
    expect(counts.before).toBeGreaterThan(0);
    expect(counts.after).toBeGreaterThan(0);
    for (const client of clients) await client.dispose();
  });

  test('resumes without a gap or a duplicate over SSE too', async () => {
    const counts = await resumeWithoutGaps({
      open(after) {
        const subscription = sseSubscribe<Received>(testApp.graphqlUrl, EVENT_PUBLISHED, { after });
        return {
          received: subscription.received,
          errors: () => subscription.errors,
          stop: subscription.stop,
        };
      },
    });
    expect(counts.after).toBeGreaterThan(0);
  });

  test('an admin and an anonymous client with the same subscription each get what they may see', async () => {
    // Same document, same variables: only the credential differs, and with it the payload.
    const userId = `shared_${randomUUID().slice(0, 8)}`;
    const query = `subscription Users($aggregateId: String) {
      eventPublished(aggregateType: "user", aggregateId: $aggregateId) { data }
    }`;
    type UserEvent = { eventPublished: { data: { user: { email: string | null; phone: string | null } } } };
    const admin = createClient({
      url: testApp.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { Authorization: ADMIN_HEADERS.authorization },
    });
    const anonymous = wsClient(testApp.wsUrl);
    // Both orders of arrival: whoever asks first must not decide what the other sees.
    const subscriptions = [
      collectSubscription<UserEvent>(admin, query, { aggregateId: userId }),
      collectSubscription<UserEvent>(anonymous, query, { aggregateId: userId }),
      collectSubscription<UserEvent>(admin, query, { aggregateId: userId }),
    ];
    try {
      await waitFor(async () => (await testApp.app.services.publishedFeed.stats()).subscribers >= 3, {
        what: 'three subscribers',
      });
      const registered = await graphql(
        testApp.graphqlUrl,
        `mutation ($id: ID!) {
          registerUser(id: $id, input: { name: "Jane", email: "jane.shared@example.com", phone: "+1234567890" }) {
            __typename
          }
        }`,
        { id: userId },
      );
      expect(registered.errors).toBeUndefined();
      await waitFor(() => subscriptions.every((subscription) => subscription.received.length === 1), {
        what: 'the event at every subscriber',
      });
      const [adminFirst, anonymousOne, adminSecond] = subscriptions.map(
        (subscription) => subscription.received[0]?.eventPublished.data.user,
      );
      expect(adminFirst).toMatchObject({ email: 'jane.shared@example.com', phone: '+1234567890' });
      expect(adminSecond).toEqual(adminFirst);
      expect(anonymousOne).toMatchObject({ email: null, phone: null });
    } finally {
      for (const subscription of subscriptions) subscription.stop();
      await Promise.all([admin.dispose(), anonymous.dispose()]);
    }
  });

  test('refuses a cursor that is not one', async () => {
    const subscription = sseSubscribe<Received>(testApp.graphqlUrl, EVENT_PUBLISHED, { after: 'yesterday' });
    await waitFor(() => subscription.errors.length > 0 || !subscription.isOpen(), { what: 'an answer' });
    expect(JSON.stringify(subscription.errors)).toContain('BAD_USER_INPUT');
    subscription.stop();
  });
});

describe('the published feed with a subscriber that falls behind', () => {
  test('falls out of the recent events, reads the gap from the table, and still delivers every event once, in order', async () => {
    const logger = createLogger({ log: { level: 'silent', format: 'json' }, serviceName: 'test' });
    const feed = createPublishedFeed({
      pool: ownPool,
      databaseUrl: testApp.database.url,
      logger,
      pollIntervalMs: 100,
      memoryEvents: 3,
    });
    await feed.start();
    const since = await startCursor();
    const iterator = feed.subscribe({}, since)[Symbol.asyncIterator]();
    const received: PublishedEvent[] = [];
    try {
      // Takes one event, then stops reading while 40 more are published: far more than it may queue.
      const producing = produceInBackground(41, [randomUUID(), randomUUID()]);
      const firstResult = await iterator.next();
      if (!firstResult.done) received.push(firstResult.value);
      await producing;
      await waitFor(async () => (await publishedAfter(since)).length === 41, { what: '41 publications' });
      while (received.length < 41) {
        const result = await iterator.next();
        if (result.done) break;
        received.push(result.value);
      }
      const expected = await publishedAfter(since);
      expect(received.map((event) => event.cursor)).toEqual(expected.map((row) => row.cursor));
    } finally {
      await iterator.return?.();
      await feed.stop();
    }
  });
});

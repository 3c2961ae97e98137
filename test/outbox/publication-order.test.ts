/**
 * Relays mark without a common lock, so they can commit their marks out of number order. The live
 * feed must still miss nothing: here two relays' claim transactions mark so that the one with the
 * higher published_seq commits first, while the other (lower number) is still open. A subscriber
 * that has already been handed the higher number must still be handed the lower one once it commits.
 * (Ordered by published_seq alone, the feed would have passed it for good.)
 */
import type pg from 'pg';
import { afterAll, describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import { createLogger } from '../../src/infra/logger.ts';
import type { PublishedEvent } from '../../src/outbox/feed/published-event.ts';
import { createPublishedFeed, type PublishedFeed } from '../../src/outbox/feed/published-feed.ts';
import { fromCursor, isCursor, readPublishedAfter, toCursor } from '../../src/outbox/feed/read-published.ts';
import { createBatchClaimer } from '../../src/outbox/relay/claim-batch.ts';
import { type ClaimTransaction, openClaimTransaction } from '../../src/outbox/relay/claim-transaction.ts';
import { markPublished } from '../../src/outbox/relay/mark-published.ts';
import { createRelayPool } from '../../src/outbox/relay/relay-pool.ts';
import { type FileDatabase, test } from '../support/fixtures.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { enqueueEvents, testConfig } from './relay-harness.ts';

let database: FileDatabase;
let db: Database;
let relayPool: pg.Pool;
let feed: PublishedFeed;

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  db = fileDatabase.db;
  const config = testConfig({ DATABASE_URL: database.url, OUTBOX_LEASE_TIMEOUT: '60' });
  relayPool = createRelayPool({ config });
  feed = createPublishedFeed({
    pool: db.pool,
    databaseUrl: database.url,
    logger: createLogger(config),
    pollIntervalMs: 100,
  });
  await feed.start();
});

afterAll(async () => {
  await feed?.stop();
  await relayPool?.end();
});

/** One relay's claim of one event, as the relay makes it (a transaction holding the row lock). */
async function claimOne(): Promise<ClaimTransaction> {
  const claim = await openClaimTransaction({
    pool: relayPool,
    claimer: createBatchClaimer({ batchSize: 1 }),
    leaseMs: 60_000,
    log: { warn: () => {} },
  });
  if (!claim) throw new Error('nothing to claim');
  return claim;
}

/** Marks the claimed event as if Kafka had acknowledged it at `offset`. */
async function mark(claim: ClaimTransaction, offset: number): Promise<string> {
  const [event] = claim.events;
  if (!event) throw new Error('empty claim');
  const marked = await markPublished(claim.client, [{ event, partition: 0, offset: String(offset) }]);
  return marked?.range.firstSeq as string;
}

function collect(iterable: AsyncIterable<PublishedEvent>) {
  const received: PublishedEvent[] = [];
  const iterator = iterable[Symbol.asyncIterator]();
  void (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      received.push(next.value);
    }
  })();
  return { received, stop: () => iterator.return?.() };
}

describe('marks committed out of number order', () => {
  test('reach a subscriber all the same, each once, in cursor order', async () => {
    const topicPrefix = randomTopicPrefix('order');
    await enqueueEvents(
      db,
      topicPrefix,
      [
        { aggregateType: 'pet', aggregateId: 'pet-first', eventType: 'pet.test', data: {} },
        { aggregateType: 'pet', aggregateId: 'pet-second', eventType: 'pet.test', data: {} },
      ],
      { concurrency: 1 },
    );
    const subscriber = collect(feed.subscribe({}));
    try {
      // Relay 1 claims first (its transaction gets the lower id), relay 2 second.
      const relay1 = await claimOne();
      const relay2 = await claimOne();
      // Relay 2 marks first and takes the lower number; relay 1 the higher one, and commits first.
      const lowSeq = await mark(relay2, 1);
      const highSeq = await mark(relay1, 2);
      expect(BigInt(lowSeq)).toBeLessThan(BigInt(highSeq));
      await relay1.commit();

      // Once nothing older than relay 1 runs, its event is read, though a lower number is still to come.
      await waitFor(() => subscriber.received.length === 1, {
        timeoutMs: 30_000,
        what: "relay 1's event, with relay 2's still uncommitted",
      });
      const [first] = subscriber.received;
      expect(first?.aggregateId).toBe('pet-first');
      // A reader that resumes from that cursor has nothing yet: relay 2 has not committed.
      expect(await readPublishedAfter(db.pool, first?.cursor as string, 10)).toEqual([]);

      await relay2.commit();
      await waitFor(() => subscriber.received.length === 2, { what: "relay 2's event" });
      const [, second] = subscriber.received;
      expect(second?.aggregateId).toBe('pet-second');
      expect(BigInt(second?.cursor as string)).toBeGreaterThan(BigInt(first?.cursor as string));
      // And a reader resuming from the first cursor gets exactly the second event.
      expect(
        (await readPublishedAfter(db.pool, first?.cursor as string, 10)).map((e) => e.aggregateId),
      ).toEqual(['pet-second']);
      // Nothing more arrives: each event once.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(subscriber.received).toHaveLength(2);
    } finally {
      await subscriber.stop();
    }
  });

  test('a mark still uncommitted holds back the marks of later transactions, however low its number', async () => {
    const topicPrefix = randomTopicPrefix('order-held');
    await enqueueEvents(
      db,
      topicPrefix,
      [
        { aggregateType: 'pet', aggregateId: 'pet-held', eventType: 'pet.test', data: {} },
        { aggregateType: 'pet', aggregateId: 'pet-later', eventType: 'pet.test', data: {} },
      ],
      { concurrency: 1 },
    );
    const subscriber = collect(feed.subscribe({}));
    try {
      const relay1 = await claimOne();
      const relay2 = await claimOne();
      await mark(relay1, 3);
      await mark(relay2, 4);
      // Relay 2 (the later transaction) commits; relay 1 is still open: relay 2's mark must wait,
      // or a reader passing it would later pass over relay 1's.
      await relay2.commit();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(subscriber.received).toHaveLength(0);
      await relay1.commit();
      await waitFor(() => subscriber.received.length === 2, { what: 'both events' });
      expect(subscriber.received.map((event) => event.aggregateId)).toEqual(['pet-held', 'pet-later']);
    } finally {
      await subscriber.stop();
    }
  });
});

describe('the cursor', () => {
  test('orders as the (transaction, number) pair it encodes, and keeps old bare numbers valid', () => {
    expect(toCursor({ xid: '0', seq: '42' })).toBe('42');
    expect(fromCursor('42')).toEqual({ xid: '0', seq: '42' });
    const late = toCursor({ xid: '7', seq: '1' });
    const early = toCursor({ xid: '6', seq: '9000000000000000000' });
    expect(BigInt(late)).toBeGreaterThan(BigInt(early));
    expect(fromCursor(late)).toEqual({ xid: '7', seq: '1' });
  });

  test('refuses what the database could not take', () => {
    expect(isCursor('123')).toBe(true);
    expect(isCursor(toCursor({ xid: '9223372036854775807', seq: '9223372036854775807' }))).toBe(true);
    expect(isCursor('9'.repeat(39))).toBe(false);
    expect(isCursor('1e5')).toBe(false);
    expect(isCursor('')).toBe(false);
  });
});

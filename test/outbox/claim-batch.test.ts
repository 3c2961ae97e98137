/**
 * The claim on its own (no Kafka): what it takes and what it must never take. It only ever claims
 * an aggregate's first unpublished events, as a prefix; a backlog concentrated on a few aggregates
 * fills the batch from their depth; events behind one that waits (a dead letter, a retry with
 * backoff, a batch in flight) are not taken; and heads hidden behind a window of old rows nobody
 * can take are still found.
 */
import type pg from 'pg';
import { beforeEach, describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import {
  type BatchClaimer,
  claimableRuns,
  createBatchClaimer,
  unbrokenRuns,
} from '../../src/outbox/relay/claim-batch.ts';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import { test } from '../support/fixtures.ts';

let db: Database;

test.beforeAll(async ({ database: fileDatabase }) => {
  db = fileDatabase.db;
});

beforeEach(async () => {
  await db.pool.query('DELETE FROM outbox_events');
});

/** `count` events of one aggregate, created `minutesAgo` (in sequence order), the first one possibly failed. */
async function seed(aggregateId: string, count: number, { minutesAgo = 0, failedHead = false } = {}) {
  await db.pool.query(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                                status, retry_count, created_at)
     SELECT $1, 'pet', 'pet.test', '{}', 'test.pets', n,
            CASE WHEN $3 AND n = 1 THEN 'failed' ELSE 'pending' END::outbox_status,
            CASE WHEN $3 AND n = 1 THEN 5 ELSE 0 END,
            now() - make_interval(mins => $4) + n * interval '1 ms'
     FROM generate_series(1, $2) AS n`,
    [aggregateId, count, failedHead, minutesAgo],
  );
}

/** A relay's claim transaction: the claim holds until the transaction ends. */
async function transaction(): Promise<pg.PoolClient> {
  const client = await db.pool.connect();
  await client.query('BEGIN');
  return client;
}

/** What a relay does after Kafka acknowledged: mark the claimed events published, in the claim's transaction. */
async function publishAndCommit(client: pg.PoolClient, events: readonly ClaimedEvent[]) {
  await client.query(
    `UPDATE outbox_events SET status = 'published', is_processed = true, processed_at = now()
     WHERE id = ANY($1::uuid[])`,
    [events.map((event) => event.id)],
  );
  await client.query('COMMIT');
  client.release();
}

async function rollback(client: pg.PoolClient) {
  await client.query('ROLLBACK');
  client.release();
}

function claimer(batchSize: number): BatchClaimer {
  return createBatchClaimer({ batchSize });
}

function summary(events: readonly ClaimedEvent[]): Record<string, number[]> {
  const result: Record<string, number[]> = {};
  for (const event of events) {
    const list = result[event.aggregateId] ?? [];
    list.push(event.aggregateSequence);
    result[event.aggregateId] = list;
  }
  return result;
}

describe('createBatchClaimer', () => {
  test('fills a batch from the depth of an aggregate, oldest first; a second relay takes only what the first does not hold', async () => {
    await seed('pet-a', 50);
    await seed('pet-b', 50, { minutesAgo: -1 });
    const first = await transaction();
    const second = await transaction();
    const third = await transaction();
    try {
      const claimed = await claimer(10).claim(first);
      expect(summary(claimed)).toEqual({ 'pet-a': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
      // pet-a's next events wait for the first transaction's mark: the second relay takes pet-b's head run.
      expect(summary(await claimer(10).claim(second))).toEqual({ 'pet-b': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
      // Both aggregates are held: a third finds nothing, however deep the backlog.
      expect(await claimer(10).claim(third)).toEqual([]);
    } finally {
      await rollback(first);
      await rollback(second);
      await rollback(third);
    }
    // Rolled back, the claim is gone: the events are there to claim again.
    const again = await transaction();
    try {
      expect(summary(await claimer(10).claim(again))).toEqual({ 'pet-a': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    } finally {
      await rollback(again);
    }
  });

  test("takes an aggregate's earlier event that committed with a later created_at, before the later one", async () => {
    // created_at is the writing transaction's start; the sequence is taken at its first event, so a
    // transaction that started first can hold the next number.
    await db.pool.query(
      `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence, created_at)
       VALUES ('pet-late', 'pet', 'pet.test', '{}', 'test.pets', 1, now()),
              ('pet-late', 'pet', 'pet.test', '{}', 'test.pets', 2, now() - interval '5 minutes')`,
    );
    await seed('pet-other', 3);
    const client = await transaction();
    try {
      expect(summary(await claimer(2).claim(client))).toEqual({ 'pet-late': [1, 2] });
    } finally {
      await rollback(client);
    }
  });

  test('an event whose predecessor is retrying with backoff is not claimed, and neither are those behind it', async () => {
    await seed('pet-retrying', 3, { minutesAgo: 5 });
    await seed('pet-fresh', 2);
    await db.pool.query(
      `UPDATE outbox_events SET retry_count = 1, next_attempt_at = now() + interval '1 hour'
       WHERE aggregate_id = 'pet-retrying' AND aggregate_sequence = 1`,
    );
    const client = await transaction();
    try {
      expect(summary(await claimer(10).claim(client))).toEqual({ 'pet-fresh': [1, 2] });
    } finally {
      await rollback(client);
    }
  });

  test('finds heads hidden behind a window clogged with events parked behind a dead letter', async () => {
    await seed('pet-dead', 200, { minutesAgo: 60, failedHead: true });
    await seed('pet-fresh-1', 2);
    await seed('pet-fresh-2', 1);
    const client = await transaction();
    try {
      const claimed = await claimer(5).claim(client);
      expect(summary(claimed)).toEqual({ 'pet-fresh-1': [1, 2], 'pet-fresh-2': [1] });
    } finally {
      await rollback(client);
    }
  });

  test('a window that kept half a batch goes out as it is, without walking the aggregates for more', async () => {
    await seed('pet-busy', 10, { minutesAgo: 10 });
    await seed('pet-run', 5, { minutesAgo: 5 });
    await seed('pet-new', 5);
    const first = await transaction();
    const second = await transaction();
    try {
      expect(summary(await claimer(5).claim(first))).toEqual({ 'pet-busy': [1, 2, 3, 4, 5] });
      // The oldest window: pet-busy 6-10 (waiting for the first transaction) and pet-run 1-5. Half a
      // batch is kept; pet-new, further on, is left for the next claim rather than looked for now.
      expect(summary(await claimer(10).claim(second))).toEqual({ 'pet-run': [1, 2, 3, 4, 5] });
    } finally {
      await rollback(first);
      await rollback(second);
    }
  });

  test("several relays draining together only ever claim each aggregate's next events, in order", async () => {
    for (let i = 0; i < 12; i += 1) await seed(`pet-${i}`, 5 + i * 3, { minutesAgo: i % 3 });
    await seed('pet-dead', 30, { minutesAgo: 90, failedHead: true });
    const relays = [claimer(7), claimer(7), claimer(7)];
    const publishedThrough = new Map<string, number>();
    let rounds = 0;
    for (;;) {
      // Each relay claims while the others still hold theirs, then all publish.
      const batches: { client: pg.PoolClient; events: ClaimedEvent[] }[] = [];
      for (const relay of relays) {
        const client = await transaction();
        batches.push({ client, events: await relay.claim(client) });
      }
      const all = batches.flatMap((batch) => batch.events);
      if (all.length === 0) {
        for (const batch of batches) await rollback(batch.client);
        break;
      }
      expect(new Set(all.map((event) => event.id)).size).toBe(all.length);
      for (const [aggregateId, sequences] of Object.entries(summary(all))) {
        const from = (publishedThrough.get(aggregateId) ?? 0) + 1;
        expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => from + i));
        publishedThrough.set(aggregateId, from + sequences.length - 1);
      }
      for (const batch of batches) await publishAndCommit(batch.client, batch.events);
      rounds += 1;
      expect(rounds).toBeLessThan(100);
    }
    for (let i = 0; i < 12; i += 1) expect(publishedThrough.get(`pet-${i}`)).toBe(5 + i * 3);
    expect(publishedThrough.has('pet-dead')).toBe(false);
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox_events WHERE aggregate_id = 'pet-dead' AND status = 'pending'",
    );
    expect(rows[0]?.n).toBe(29);
  });
});

describe('unbrokenRuns', () => {
  const event = (aggregateId: string, aggregateSequence: number) =>
    ({
      id: `${aggregateId}-${aggregateSequence}`,
      aggregateType: 'pet',
      aggregateId,
      aggregateSequence,
    }) as ClaimedEvent;

  test('keeps each aggregate up to its first gap, in order', () => {
    const kept = unbrokenRuns([
      event('b', 5),
      event('a', 3),
      event('a', 1),
      event('a', 2),
      event('b', 7),
      event('b', 8),
    ]);
    expect(kept.map((one) => one.id)).toEqual(['a-1', 'a-2', 'a-3', 'b-5']);
  });
});

describe('claimableRuns', () => {
  const row = (aggregateId: string, aggregateSequence: number, waits: boolean) => ({
    event: {
      id: `${aggregateId}-${aggregateSequence}`,
      aggregateType: 'pet',
      aggregateId,
      aggregateSequence,
    } as ClaimedEvent,
    waits,
  });

  test('keeps heads and the events right behind them; drops what waits on an event outside the batch', () => {
    const kept = claimableRuns([
      row('b', 4, true), // its predecessor is in flight elsewhere
      row('b', 5, true),
      row('a', 2, true),
      row('a', 1, false),
      row('a', 4, true), // a-3 is missing: a gap
      row('c', 7, false),
      row('c', 8, true),
    ]);
    expect(kept.map((one) => one.id)).toEqual(['a-1', 'a-2', 'c-7', 'c-8']);
  });
});

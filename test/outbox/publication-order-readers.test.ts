/**
 * The metrics sampler's readers of the publication order (src/outbox/status/read-outbox-numbers.ts),
 * which reach published rows through the (published_xid, published_seq) index only: the bisection
 * that finds where today's rows begin, also within one transaction's marks and among the rows
 * migrated with published_xid 0, and the walk back over the latest publications.
 */
import { describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import { toCursor } from '../../src/outbox/feed/read-published.ts';
import { findSeqBefore, readRecentPublications } from '../../src/outbox/status/read-outbox-numbers.ts';
import { test } from '../support/fixtures.ts';

let db: Database;

test.beforeAll(async ({ database }) => {
  db = database.db;
});

type Mark = { xid: number; seq: number; processedAt: Date; lagMs?: number; retries?: number };

/** Replaces the table's rows with published rows marked as given (any xid: these readers do not wait for marks to settle). */
async function replaceWith(marks: Mark[]): Promise<void> {
  await db.pool.query('DELETE FROM outbox_events');
  await db.pool.query(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                                status, is_processed, created_at, processed_at, retry_count,
                                published_xid, published_seq, kafka_partition, kafka_offset)
     SELECT 'mark-' || m.seq, 'pet', 'pet.marked', '{}', 'test.pets', 1, 'published', true,
            m.processed_at - make_interval(secs => m.lag_ms / 1000.0), m.processed_at, m.retries,
            m.xid, m.seq, 0, m.seq
     FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::int[], $5::int[])
          AS m(xid, seq, processed_at, lag_ms, retries)`,
    [
      marks.map((mark) => mark.xid),
      marks.map((mark) => mark.seq),
      marks.map((mark) => mark.processedAt),
      marks.map((mark) => mark.lagMs ?? 1000),
      marks.map((mark) => mark.retries ?? 0),
    ],
  );
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Rows in publication order, one second apart: 40 migrated ones (xid 0, numbers 17 and 18 lost to a
 * rollback), a transaction of 30, one of a single row after two lost numbers, then two transactions
 * that took their numbers in the opposite order of their ids (relays mark without a common lock).
 */
function history(start: Date): Mark[] {
  const pairs: [number, number][] = [
    ...range(1, 42)
      .filter((seq) => seq !== 17 && seq !== 18)
      .map((seq): [number, number] => [0, seq]),
    ...range(43, 72).map((seq): [number, number] => [5000, seq]),
    [5003, 75],
    ...range(86, 100).map((seq): [number, number] => [5010, seq]),
    ...range(76, 85).map((seq): [number, number] => [5020, seq]),
  ];
  return pairs.map(([xid, seq], index) => ({
    xid,
    seq,
    processedAt: new Date(start.getTime() + index * 1000),
  }));
}

describe('findSeqBefore', () => {
  test('is "0" on a table without published rows', async () => {
    await replaceWith([]);
    expect(await findSeqBefore(db.pool, new Date())).toBe('0');
  });

  test('returns the cursor just before the first row marked at or after any moment, wherever it falls', async () => {
    const marks = history(new Date(Date.now() - 3_600_000));
    await replaceWith(marks);
    // Half a second before and at each row, and after the last one.
    const moments = marks.flatMap((mark) => [new Date(mark.processedAt.getTime() - 500), mark.processedAt]);
    moments.push(new Date((moments.at(-1)?.getTime() ?? 0) + 1000));
    for (const since of moments) {
      const first = marks.findIndex((mark) => mark.processedAt >= since);
      const before = first === -1 ? marks.at(-1) : marks[first - 1];
      const expected = before ? toCursor({ xid: String(before.xid), seq: String(before.seq) }) : '0';
      expect({ since, cursor: await findSeqBefore(db.pool, since) }).toEqual({ since, cursor: expected });
    }
  });
});

describe('readRecentPublications', () => {
  test('reads the last publications in publication order, not in number order', async () => {
    const now = Date.now();
    await replaceWith([
      // Numbered first, committed (and ordered) first: older than the window's last four.
      ...range(5, 9).map((seq, i) => ({
        xid: 100,
        seq,
        processedAt: new Date(now - 20_000 + i),
        lagMs: 9000,
      })),
      // Numbered before them, but by a later transaction: the last four publications.
      ...range(1, 4).map((seq, i) => ({
        xid: 200,
        seq,
        processedAt: new Date(now - 10_000 + i),
        lagMs: 1000 * seq,
        retries: seq === 4 ? 2 : 0,
      })),
    ]);
    const recent = await readRecentPublications(db.pool, { limit: 4, windowSeconds: 300 });
    expect(recent).toEqual({ count: 4, retried: 1, p50Seconds: 2.5, p99Seconds: expect.any(Number) });
    expect(recent.p99Seconds).toBeCloseTo(3.97, 5);

    // Only publications of the window count.
    expect(await readRecentPublications(db.pool, { limit: 4, windowSeconds: 5 })).toEqual({
      count: 0,
      retried: 0,
      p50Seconds: null,
      p99Seconds: null,
    });
  });
});

import type pg from 'pg';
import type { Publication } from './publish-events.ts';

/** Any constant works; it only has to be the same for every relay. */
const PUBLICATION_ORDER_LOCK = 7_024_112_601;

export const PUBLISHED_CHANNEL = 'outbox_published';

export type PublishedRange = { firstSeq: string; lastSeq: string; count: number };

/**
 * Marks acknowledged events published in one statement and gives them their place in the
 * global publication order (`published_seq`), the cursor `eventPublished` resumes from.
 *
 * The numbers are taken under a transaction-scoped advisory lock, so relays commit their
 * marks in the order of their numbers: a reader that has seen number N has seen every number
 * below N. The `outbox_published` notification, sent at commit, wakes the live feed.
 */
export async function markPublished(
  pool: pg.Pool,
  publications: readonly Publication[],
): Promise<PublishedRange | null> {
  if (publications.length === 0) return null;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [PUBLICATION_ORDER_LOCK]);
    const { rows } = await client.query<{ seq: string }>(
      `SELECT nextval('outbox_events_published_seq')::text AS seq FROM generate_series(1, $1)`,
      [publications.length],
    );
    const seqs = rows.map((row) => BigInt(row.seq)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    await client.query(
      `UPDATE outbox_events o
       SET status = 'published', is_processed = true, processed_at = clock_timestamp(),
           published_seq = v.seq, kafka_partition = v.partition, kafka_offset = v.kafka_offset,
           locked_by = NULL, locked_until = NULL
       FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::bigint[]) AS v(id, seq, partition, kafka_offset)
       WHERE o.id = v.id`,
      [
        publications.map((p) => p.event.id),
        seqs.map(String),
        publications.map((p) => p.partition),
        publications.map((p) => p.offset),
      ],
    );
    const range = {
      firstSeq: String(seqs[0]),
      lastSeq: String(seqs[seqs.length - 1]),
      count: publications.length,
    };
    await client.query('SELECT pg_notify($1, $2)', [PUBLISHED_CHANNEL, JSON.stringify(range)]);
    await client.query('COMMIT');
    return range;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

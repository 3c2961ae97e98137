import type pg from 'pg';
import type { Publication } from './publish-events.ts';

/** Any constant works; it only has to be the same for every relay. Tests take it to hold a mark back. */
export const PUBLICATION_ORDER_LOCK = 7_024_112_601;

export const PUBLISHED_CHANNEL = 'outbox_published';

export type PublishedRange = { firstSeq: string; lastSeq: string; count: number };

export type MarkedPublications = { range: PublishedRange; marked: Publication[] };

/**
 * Marks acknowledged events published and gives them their place in the global publication
 * order (`published_seq`), the cursor `eventPublished` resumes from.
 *
 * The numbers are taken under a transaction-scoped advisory lock, so relays commit their
 * marks in the order of their numbers: a reader that has seen number N has seen every number
 * below N. The `outbox_published` notification, sent at commit, wakes the live feed.
 *
 * Idempotent: rows already published are left as they are (same number, same offset). That
 * happens when a relay lost its lease during a slow publish and another relay published the
 * same events too (at-least-once), or when a mark is retried after a lost COMMIT reply.
 * Returns what this call marked, or null when none of the rows was still unpublished.
 */
export async function markPublished(
  pool: pg.Pool,
  publications: readonly Publication[],
): Promise<MarkedPublications | null> {
  if (publications.length === 0) return null;
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    // One round trip for both: no parameters, so the simple query protocol takes two statements.
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${PUBLICATION_ORDER_LOCK})`);
    const { rows } = await client.query<{ ids: string[] | null; seqs: string[] | null }>(
      `WITH open AS (
         SELECT id FROM outbox_events WHERE id = ANY($1::uuid[]) AND status <> 'published' FOR UPDATE
       ),
       numbers AS (
         SELECT nextval('outbox_events_published_seq') AS seq
         FROM generate_series(1, (SELECT count(*) FROM open))
       )
       SELECT (SELECT array_agg(id::text) FROM open) AS ids,
              (SELECT array_agg(seq::text) FROM numbers) AS seqs`,
      [publications.map((p) => p.event.id)],
    );
    const open = new Set(rows[0]?.ids ?? []);
    const toMark = publications.filter((p) => open.has(p.event.id));
    if (toMark.length === 0) {
      await client.query('COMMIT');
      return null;
    }
    // Numbers in publication order (each aggregate's events are in sequence order in the batch).
    const seqs = (rows[0]?.seqs ?? []).map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const range = {
      firstSeq: String(seqs[0]),
      lastSeq: String(seqs[seqs.length - 1]),
      count: toMark.length,
    };
    await client.query(
      `WITH marked AS (
         UPDATE outbox_events o
         SET status = 'published', is_processed = true, processed_at = clock_timestamp(),
             published_seq = v.seq, kafka_partition = v.partition, kafka_offset = v.kafka_offset,
             locked_by = NULL, locked_until = NULL
         FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::bigint[]) AS v(id, seq, partition, kafka_offset)
         WHERE o.id = v.id
         RETURNING 1
       )
       SELECT pg_notify($5, $6) FROM (SELECT count(*) FROM marked) AS done`,
      [
        toMark.map((p) => p.event.id),
        seqs.map(String),
        toMark.map((p) => p.partition),
        toMark.map((p) => p.offset),
        PUBLISHED_CHANNEL,
        JSON.stringify(range),
      ],
    );
    await client.query('COMMIT');
    return { range, marked: toMark };
  } catch (error) {
    failure = error as Error;
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    // A client that failed mid-transaction may have lost its connection: do not hand it out again.
    client.release(failure);
  }
}

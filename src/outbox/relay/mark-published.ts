import { arrayOf, executeInOneRoundTrip, type SessionStatement } from '../../infra/pg-one-round-trip.ts';
import type { TransactionClient } from './claim-batch.ts';
import type { Publication } from './publish-events.ts';

export type PublishedRange = { firstSeq: string; lastSeq: string; count: number };

export type MarkedPublications = { range: PublishedRange; marked: Publication[] };

// unnest WITH ORDINALITY yields the rows in array order, so the numbers follow the batch's order.
const MARK_PUBLISHED: SessionStatement = {
  name: 'outbox_mark_published',
  types: ['uuid[]', 'int[]', 'bigint[]'],
  text: `UPDATE outbox_events o
     SET status = 'published', is_processed = true, processed_at = clock_timestamp(),
         published_seq = v.seq, published_xid = pg_current_xact_id()::text::bigint,
         kafka_partition = v.partition, kafka_offset = v.kafka_offset,
         locked_by = NULL, locked_until = NULL
     FROM (
       SELECT u.id, u.partition, u.kafka_offset, nextval('outbox_events_published_seq') AS seq
       FROM unnest($1::uuid[], $2::int[], $3::bigint[]) WITH ORDINALITY AS u(id, partition, kafka_offset, position)
       ORDER BY u.position
     ) v
     WHERE o.id = v.id AND o.status = 'pending'
     RETURNING o.id::text AS id, v.seq::text AS seq`,
};

/**
 * Marks acknowledged events published, in the transaction that claimed them (one UPDATE per
 * event after its INSERT), and gives them their place in the global publication order.
 *
 * That place is (`published_xid`, `published_seq`): the marking transaction's id, then a number
 * from the sequence, taken in batch order (each aggregate's events in sequence order). No lock is
 * taken: relays mark at the same time and may commit out of number order. Readers of the order
 * (src/outbox/read-published.ts) take only marks of transactions older than every running one,
 * and any transaction that commits later has a larger id, so it sorts after what they have read.
 * Per aggregate the order holds too: an aggregate's next event is claimed, and its transaction
 * gets its id, only after the mark of the one before it committed.
 *
 * The caller announces the commit on `outbox_published` (../announcer.ts), which wakes the
 * live feed. Returns null when none of the rows was still pending (nothing to mark).
 *
 * `thenRun` are statements sent in the same round trip after the mark: the claim's COMMIT, in the
 * usual case (src/outbox/relay/settle-batch.ts). Prepared once per connection, like the claim.
 */
export async function markPublished(
  client: TransactionClient,
  publications: readonly Publication[],
  { thenRun = [] }: { thenRun?: readonly string[] } = {},
): Promise<MarkedPublications | null> {
  if (publications.length === 0) {
    if (thenRun.length > 0) await client.query(thenRun.join(';\n'));
    return null;
  }
  const { rows } = await executeInOneRoundTrip<{ id: string; seq: string }>(
    client,
    MARK_PUBLISHED,
    [
      arrayOf(
        publications.map((p) => p.event.id),
        'uuid',
      ),
      arrayOf(
        publications.map((p) => p.partition),
        'int',
      ),
      arrayOf(
        publications.map((p) => p.offset),
        'bigint',
      ),
    ],
    { after: thenRun },
  );
  if (rows.length === 0) return null;
  const seqOf = new Map(rows.map((row) => [row.id, BigInt(row.seq)]));
  const marked = publications.filter((p) => seqOf.has(p.event.id));
  let first = seqOf.get(rows[0]?.id as string) as bigint;
  let last = first;
  for (const seq of seqOf.values()) {
    if (seq < first) first = seq;
    if (seq > last) last = seq;
  }
  return { range: { firstSeq: String(first), lastSeq: String(last), count: marked.length }, marked };
}

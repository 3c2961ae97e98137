import type pg from 'pg';
import type { PublishedEvent, PublishedEventFilter } from './published-event.ts';

type PublishedRow = {
  xid: string;
  seq: string;
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_sequence: number;
  event_type: string;
  event_data: string;
  correlation_id: string | null;
  topic: string;
  kafka_partition: number;
  kafka_offset: string;
  created_at: Date;
  processed_at: Date;
};

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The feed's cursor: one string of digits for the pair (published_xid, published_seq) that orders
 * published events, xid × 10^19 + seq. published_seq is a bigint (below 10^19), so comparing
 * cursors as numbers compares the pairs; rows published before published_xid existed have xid 0,
 * so their cursor is their bare published_seq, as it was.
 */
const SEQ_SPAN = 10_000_000_000_000_000_000n;

export type PublicationPosition = { xid: string; seq: string };

const MAX_BIGINT = 9_223_372_036_854_775_807n;
const LAST_POSITION: PublicationPosition = { xid: String(MAX_BIGINT), seq: String(MAX_BIGINT) };

/** Whether `text` is a cursor this feed can have handed out (digits, both halves within bigint). */
export function isCursor(text: string): boolean {
  if (!/^\d{1,39}$/.test(text)) return false;
  const value = BigInt(text);
  return value / SEQ_SPAN <= MAX_BIGINT && value % SEQ_SPAN <= MAX_BIGINT;
}

export function toCursor(position: PublicationPosition): string {
  return String(BigInt(position.xid) * SEQ_SPAN + BigInt(position.seq));
}

export function fromCursor(cursor: string): PublicationPosition {
  const value = BigInt(cursor);
  return { xid: String(value / SEQ_SPAN), seq: String(value % SEQ_SPAN) };
}

/** A cursor in the form this feed hands out (no leading zeros), so that compareCursors applies. */
export function canonicalCursor(cursor: string): string {
  return String(BigInt(cursor));
}

/**
 * Orders two canonical cursors (digits, no leading zeros) as the numbers they are, without BigInt:
 * the feed compares cursors for every event and every subscriber, and parsing two BigInts each time
 * was garbage on the hottest path. A longer string of digits is the larger number.
 */
export function compareCursors(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The first index in [low, high) whose cursor comes after `cursor`, `high` if none does: a binary
 * search over events held in cursor order, read through `cursorAt`.
 */
export function firstIndexAfter(
  cursor: string,
  low: number,
  high: number,
  cursorAt: (index: number) => string,
): number {
  let from = low;
  let to = high;
  while (from < to) {
    const middle = (from + to) >>> 1;
    if (compareCursors(cursorAt(middle), cursor) <= 0) from = middle + 1;
    else to = middle;
  }
  return from;
}

/**
 * Only marks of transactions older than every transaction still running: those are all committed
 * (or rolled back) and visible, and any mark still to commit belongs to a running transaction, whose
 * id is at least this, so it sorts after everything read now. Relays number their marks without a
 * lock and may commit them out of number order; this is what keeps a reader from passing a number
 * that another relay has yet to commit. The price: a long write transaction anywhere in the
 * PostgreSQL cluster holds the feed back (never loses anything) until it ends.
 */
export const SETTLED_MARKS_SQL = 'published_xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint';

/**
 * Published events after `after` (a cursor), in publication order, served by the (published_xid,
 * published_seq) index; with `upTo`, none past that cursor (the shared catch-up reader's pages end
 * where the next cached page or the feed's memory begins).
 */
export async function readPublishedAfter(
  pool: pg.Pool,
  after: string,
  limit: number,
  filter: PublishedEventFilter = {},
  upTo: string | null = null,
): Promise<PublishedEvent[]> {
  const from = fromCursor(after);
  // Always bounded, so that both ends are conditions of the index scan: an optional bound (`$8 IS
  // NULL OR ...`) would be a filter, and a page ending at its bound would scan on to the table's end.
  const to = upTo === null ? LAST_POSITION : fromCursor(upTo);
  const { rows } = await pool.query<PublishedRow>(
    `SELECT published_xid::text AS xid, published_seq::text AS seq, id, aggregate_type, aggregate_id,
            aggregate_sequence, event_type, event_data, correlation_id, topic, kafka_partition,
            kafka_offset::text, created_at, processed_at
     FROM outbox_events
     WHERE (published_xid, published_seq) > ($1::bigint, $2::bigint) AND ${SETTLED_MARKS_SQL}
       AND ($4::text IS NULL OR aggregate_type = $4) AND ($5::text IS NULL OR aggregate_id = $5)
       AND ($6::text IS NULL OR event_type = $6) AND ($7::text IS NULL OR topic = $7)
       AND (published_xid, published_seq) <= ($8::bigint, $9::bigint)
     ORDER BY published_xid, published_seq
     LIMIT $3`,
    // A filter runs here, so a subscriber catching up with a narrow filter is sent its own events
    // only, not every row to sift through (a null criterion matches all).
    [
      from.xid,
      from.seq,
      limit,
      filter.aggregateType || null,
      filter.aggregateId || null,
      filter.eventType || null,
      filter.topic || null,
      to.xid,
      to.seq,
    ],
  );
  return rows.map((row) => ({
    cursor: toCursor(row),
    eventId: row.id,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    aggregateSequence: row.aggregate_sequence,
    eventType: row.event_type,
    data: parseData(row.event_data),
    correlationId: row.correlation_id,
    topic: row.topic,
    partition: row.kafka_partition,
    offset: row.kafka_offset,
    createdAt: row.created_at,
    publishedAt: row.processed_at,
  }));
}

/** The cursor of the last settled publication ("from now on" starts after it). */
export async function latestPublishedSeq(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ xid: string; seq: string }>(
    `SELECT published_xid::text AS xid, published_seq::text AS seq FROM outbox_events
     WHERE published_xid IS NOT NULL AND ${SETTLED_MARKS_SQL}
     ORDER BY published_xid DESC, published_seq DESC LIMIT 1`,
  );
  const [row] = rows;
  return row ? toCursor(row) : '0';
}

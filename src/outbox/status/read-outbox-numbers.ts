import type pg from 'pg';
import { fromCursor, SETTLED_MARKS_SQL, toCursor } from '../feed/read-published.ts';

/**
 * The sampler's queries. Each one is bounded by the backlog or by a small window, never by the
 * table's history: published rows (the millions) are only reached through the unique index on
 * (`published_xid`, `published_seq`), and only the ones published since the previous reading.
 */

type Queryable = Pick<pg.PoolClient, 'query'>;

export type Clock = { now: Date; midnightUtc: Date };

export async function readClock(db: Queryable): Promise<Clock> {
  const { rows } = await db.query<{ now: Date; midnight: Date }>(
    `SELECT now() AS now, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS midnight`,
  );
  const row = rows[0];
  if (!row) throw new Error('no clock row');
  return { now: row.now, midnightUtc: row.midnight };
}

export type PendingReading = { pending: number; oldestPendingAt: Date | null };

/**
 * Both numbers come from `idx_outbox_events_pending_claim` (created_at WHERE status = 'pending'): the
 * count is an index-only scan of an index holding only the pending rows, the oldest is its first entry.
 */
export async function readPending(db: Queryable): Promise<PendingReading> {
  const { rows } = await db.query<{ pending: number; oldest: Date | null }>(
    `SELECT (SELECT count(*) FROM outbox_events WHERE status = 'pending')::int AS pending,
            (SELECT min(created_at) FROM outbox_events WHERE status = 'pending') AS oldest`,
  );
  return { pending: rows[0]?.pending ?? 0, oldestPendingAt: rows[0]?.oldest ?? null };
}

export type TopicBacklog = { topic: string; pending: number; failed: number };

/** Unpublished rows per topic, through the partial index on unpublished rows. */
export async function readBacklogByTopic(db: Queryable): Promise<TopicBacklog[]> {
  const { rows } = await db.query<TopicBacklog>(
    `SELECT topic,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'failed')::int AS failed
     FROM outbox_events WHERE status <> 'published'
     GROUP BY topic ORDER BY topic`,
  );
  return rows;
}

export type ParkedReading = { aggregates: number; events: number };

/**
 * An aggregate with a dead-lettered event is parked: the relay publishes none of its later events
 * until that one is replayed (claim-batch.ts), so they wait however healthy the broker is.
 */
export async function readParked(db: Queryable): Promise<ParkedReading> {
  const { rows } = await db.query<ParkedReading>(
    `WITH blocked AS (
       SELECT aggregate_type, aggregate_id, min(aggregate_sequence) AS first_failed
       FROM outbox_events WHERE status = 'failed'
       GROUP BY aggregate_type, aggregate_id
     )
     SELECT (SELECT count(*) FROM blocked)::int AS aggregates,
            (SELECT count(*) FROM blocked b
               JOIN outbox_events p
                 ON p.aggregate_type = b.aggregate_type AND p.aggregate_id = b.aggregate_id
                AND p.status = 'pending' AND p.aggregate_sequence > b.first_failed)::int AS events`,
  );
  return rows[0] ?? { aggregates: 0, events: 0 };
}

export type TopicPublications = {
  topic: string;
  published: number;
  publishedSinceMidnight: number;
  publishedLastMinute: number;
  lastSeq: string;
};

/**
 * What was published after `after` (a publication cursor, src/outbox/read-published.ts), per topic:
 * a range scan of the (published_xid, published_seq) index over the rows published since the
 * previous reading. Relays mark without a common lock and may commit out of number order, so only
 * marks of transactions older than every running one are counted: a mark still to commit sorts
 * after `lastSeq`, and nothing is counted twice or skipped.
 */
export async function readPublishedSince(
  db: Queryable,
  after: string,
  midnightUtc: Date,
): Promise<TopicPublications[]> {
  const from = fromCursor(after);
  const { rows } = await db.query<TopicPublications>(
    `SELECT topic,
            count(*)::int AS published,
            count(*) FILTER (WHERE processed_at >= $3)::int AS "publishedSinceMidnight",
            count(*) FILTER (WHERE processed_at > now() - interval '60 seconds')::int AS "publishedLastMinute",
            max(published_xid::numeric * 10000000000000000000 + published_seq)::text AS "lastSeq"
     FROM outbox_events
     WHERE (published_xid, published_seq) > ($1::bigint, $2::bigint) AND ${SETTLED_MARKS_SQL}
     GROUP BY topic`,
    [from.xid, from.seq, midnightUtc],
  );
  return rows;
}

type MarkedRow = { xid: string; seq: string; processed_at: Date };

/**
 * The smallest key in [low, high) whose first row (the first in publication order at or after the
 * key, found by `firstRowFrom`) was marked at or after `since`, or has none: `high` when every row is
 * older. Marks are made about in publication order, so the probes bisect the day instead of reading it.
 * A probe that lands on an older row moves the lower end past that row's key, not just past the middle.
 */
async function bisectMarkedSince(
  low: bigint,
  high: bigint,
  since: Date,
  firstRowFrom: (key: bigint) => Promise<MarkedRow | undefined>,
  keyOf: (row: MarkedRow) => bigint,
): Promise<bigint> {
  let from = low;
  let to = high;
  while (from < to) {
    const middle = (from + to) / 2n;
    const row = await firstRowFrom(middle);
    if (!row || row.processed_at >= since) to = middle;
    else from = keyOf(row) + 1n;
  }
  return from;
}

/**
 * The publication cursor just before the first row marked at or after `since` ('0' when there is
 * none before it), found by bisecting the (published_xid, published_seq) index: marks are made about
 * in publication order, so a few index probes replace a scan of the day's rows.
 *
 * Two bisections, because one transaction's marks share a published_xid: first over the xids (each
 * probe reads the first row of the first transaction at or after a number), which ends at the last
 * transaction whose first mark is older than `since`, then over the numbers within that transaction.
 * The second one matters where a transaction holds many rows: the rows migrated from before
 * published_xid existed all have xid 0, and only their published_seq orders them.
 */
export async function findSeqBefore(db: Queryable, since: Date): Promise<string> {
  const bounds = await db.query<{ min: string | null; max: string | null }>(
    'SELECT min(published_xid)::text AS min, max(published_xid)::text AS max FROM outbox_events',
  );
  const { min, max } = bounds.rows[0] ?? { min: null, max: null };
  if (min === null || max === null) return '0';
  const firstXidAfter = await bisectMarkedSince(
    BigInt(min),
    BigInt(max) + 1n,
    since,
    async (xid) =>
      (
        await db.query<MarkedRow>(
          `SELECT published_xid::text AS xid, published_seq::text AS seq, processed_at FROM outbox_events
           WHERE published_xid >= $1::bigint ORDER BY published_xid, published_seq LIMIT 1`,
          [xid.toString()],
        )
      ).rows[0],
    (row) => BigInt(row.xid),
  );
  // Every transaction before firstXidAfter began marking before `since`: the boundary lies within
  // the last of them (if there is one), after its first row. Its id, first and last number are one
  // index probe each, however many rows it holds.
  const { rows: last } = await db.query<{ xid: string | null; min: string | null; max: string | null }>(
    `SELECT b.xid::text AS xid,
            (SELECT min(published_seq) FROM outbox_events WHERE published_xid = b.xid)::text AS min,
            (SELECT max(published_seq) FROM outbox_events WHERE published_xid = b.xid)::text AS max
     FROM (SELECT max(published_xid) AS xid FROM outbox_events WHERE published_xid < $1::bigint) b`,
    [firstXidAfter.toString()],
  );
  const boundary = last[0];
  if (boundary?.xid == null || boundary.min === null || boundary.max === null) return '0';
  const boundaryXid = boundary.xid;
  const firstSeqAfter = await bisectMarkedSince(
    BigInt(boundary.min),
    BigInt(boundary.max) + 1n,
    since,
    async (seq) =>
      (
        await db.query<MarkedRow>(
          `SELECT published_xid::text AS xid, published_seq::text AS seq, processed_at FROM outbox_events
           WHERE published_xid = $1::bigint AND published_seq >= $2::bigint ORDER BY published_seq LIMIT 1`,
          [boundaryXid, seq.toString()],
        )
      ).rows[0],
    (row) => BigInt(row.seq),
  );
  const { rows } = await db.query<{ xid: string; seq: string }>(
    `SELECT published_xid::text AS xid, published_seq::text AS seq FROM outbox_events
     WHERE (published_xid, published_seq) < ($1::bigint, $2::bigint)
     ORDER BY published_xid DESC, published_seq DESC LIMIT 1`,
    [boundaryXid, firstSeqAfter.toString()],
  );
  const [before] = rows;
  return before ? toCursor(before) : '0';
}

export type RecentPublications = {
  count: number;
  retried: number;
  p50Seconds: number | null;
  p99Seconds: number | null;
};

/**
 * Commit-to-publish latency and retries over the last `limit` publications of the last `windowSeconds`:
 * a backward walk of the (published_xid, published_seq) index, the publication order, that stops after
 * `limit` rows. `created_at` is the writing transaction's start, so the figure includes that
 * transaction's own duration.
 */
export async function readRecentPublications(
  db: Queryable,
  { limit, windowSeconds }: { limit: number; windowSeconds: number },
): Promise<RecentPublications> {
  const { rows } = await db.query<{
    count: number;
    retried: number;
    p50: number | null;
    p99: number | null;
  }>(
    `SELECT count(*)::int AS count,
            count(*) FILTER (WHERE retry_count > 0)::int AS retried,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) AS p99
     FROM (SELECT extract(epoch FROM processed_at - created_at)::float8 AS lag, retry_count, processed_at
           FROM outbox_events WHERE published_xid IS NOT NULL
           ORDER BY published_xid DESC, published_seq DESC LIMIT $1) recent
     WHERE processed_at > now() - make_interval(secs => $2)`,
    [limit, windowSeconds],
  );
  const row = rows[0];
  return {
    count: row?.count ?? 0,
    retried: row?.retried ?? 0,
    p50Seconds: row?.p50 ?? null,
    p99Seconds: row?.p99 ?? null,
  };
}

export type RelayInstanceState = { circuitState: string; kafkaConnected: boolean };

export type RelayFleet = {
  /** Instances not stopped whose heartbeat is younger than three of their own intervals; null when unknown. */
  alive: RelayInstanceState[] | null;
  /** The database-wide pause switch; null where the database has none. */
  paused: boolean | null;
};

/**
 * The relay instances' heartbeats (`outbox_relay_instances`) and the pause switch
 * (`outbox_relay_control`): two tiny tables. A database migrated before they existed reads as unknown.
 */
export async function readRelayFleet(db: Queryable): Promise<RelayFleet> {
  const { rows: tables } = await db.query<{ instances: boolean; control: boolean }>(
    `SELECT to_regclass('outbox_relay_instances') IS NOT NULL AS instances,
            to_regclass('outbox_relay_control') IS NOT NULL AS control`,
  );
  const { instances = false, control = false } = tables[0] ?? {};
  let alive: RelayInstanceState[] | null = null;
  if (instances) {
    const { rows } = await db.query<{ circuit_state: string; kafka_connected: boolean }>(
      `SELECT circuit_state, kafka_connected FROM outbox_relay_instances
       WHERE stopped_at IS NULL
         AND heartbeat_at > now() - make_interval(secs => 3 * heartbeat_interval_ms / 1000.0)`,
    );
    alive = rows.map((row) => ({ circuitState: row.circuit_state, kafkaConnected: row.kafka_connected }));
  }
  let paused: boolean | null = null;
  if (control) {
    const { rows } = await db.query<{ paused: boolean }>(
      'SELECT paused FROM outbox_relay_control WHERE id = 1',
    );
    paused = rows[0]?.paused ?? false;
  }
  return { alive, paused };
}

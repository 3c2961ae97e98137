import type pg from 'pg';
import { executeInOneRoundTrip, literalOf, type SessionStatement } from '../../infra/pg-one-round-trip.ts';
import {
  byAggregateThenSequence,
  type ClaimedEvent,
  type ClaimedEventRow,
  fromRow,
} from './claimed-event.ts';

/**
 * Locks up to $1 of the `candidates` (each an aggregate's oldest unpublished event) that are still
 * pending and unleased, in the pass's order; SKIP LOCKED passes over those another transaction
 * holds (claimed and in flight, or being claimed right now). Candidates outnumber the batch so that
 * heads already in flight do not take the places of claimable ones. Used by the second pass.
 */
const lockHeads = (order: string) => `heads AS (
       SELECT e.id, e.aggregate_type, e.aggregate_id, e.aggregate_sequence, e.created_at
       FROM candidates c
       JOIN outbox_events e ON e.id = c.id
       WHERE e.status = 'pending'
         AND (e.locked_until IS NULL OR e.locked_until < now())
       ORDER BY ${order}
       LIMIT $1
       FOR UPDATE OF e SKIP LOCKED
     )`;

/**
 * The rest of the second pass, once `heads` (locked with SKIP LOCKED) is known:
 * behind each head the aggregate's next pending events, as a prefix of its sequence, then the
 * batch taken round-robin (every head first, then every second event, ...) and row-locked.
 *
 * Each aggregate contributes at most batchSize / heads events, so a claim reads about one batch
 * of rows, not heads × batchSize; with as many heads as the batch holds no follower is looked up
 * at all (LIMIT 0). $1 batch size.
 *
 * The claim writes nothing: the row locks, held by the claiming transaction until it has marked
 * the batch published and committed, are the lease. Another relay's claim skips locked rows, and
 * sees an aggregate's next event as a head only once the mark of the event before it has committed.
 */
const FOLLOWERS_AND_LOCK = `
     runs AS (
       SELECT heads.id, 1::bigint AS position, heads.created_at AS head_created_at FROM heads
       UNION ALL
       SELECT follower.id,
              1 + row_number() OVER (PARTITION BY heads.id ORDER BY follower.aggregate_sequence) AS position,
              heads.created_at AS head_created_at
       FROM heads
       CROSS JOIN LATERAL (
         SELECT f.id, f.aggregate_sequence FROM outbox_events f
         WHERE f.aggregate_type = heads.aggregate_type
           AND f.aggregate_id = heads.aggregate_id
           AND f.status = 'pending'
           AND f.aggregate_sequence > heads.aggregate_sequence
         ORDER BY f.aggregate_sequence
         LIMIT (SELECT ceil($1::double precision / greatest(count(*), 1))::int - 1 FROM heads)
       ) follower
     ),
     chosen AS MATERIALIZED (
       SELECT id FROM runs ORDER BY position, head_created_at LIMIT $1
     ),
     claimed AS (
       SELECT o.id, o.aggregate_type, o.aggregate_id, o.aggregate_sequence, o.event_type, o.event_data,
              o.correlation_id, o.topic, o.created_at, o.retry_count
       FROM chosen c
       JOIN outbox_events o ON o.id = c.id
       WHERE o.status = 'pending'
       FOR UPDATE OF o SKIP LOCKED
     )`;

/** Nothing is claimed while the database-wide pause switch is on. */
const NOT_PAUSED = 'NOT EXISTS (SELECT 1 FROM outbox_relay_control c WHERE c.paused)';

/**
 * First pass, oldest first, in one statement: row-locks the $1 oldest claimable-looking rows
 * (pending, due, not leased, not parked behind a dead letter; via the partial index on pending
 * rows) with SKIP LOCKED, so the rows of batches in flight are passed over instead of filling the
 * window. Each row says whether its direct predecessor in the aggregate is still unpublished
 * (`waits`); the caller keeps a row only if it does not wait, or if its predecessor is in the
 * same batch and kept (unbrokenRuns from a head).
 *
 * "Nothing unpublished before it" is checked on the direct predecessor only (sequence - 1): one
 * equality lookup on the unique (aggregate, sequence) index, whose cost does not depend on the
 * aggregate's history. That is enough because sequences have no gaps (enqueueOutboxEvent numbers
 * them from a counter row locked until commit, so a rolled-back event leaves no hole) and each
 * aggregate is published as a prefix: a published or purged predecessor means all earlier events
 * are published too. The lookup is a LATERAL with LIMIT so that the planner probes the index per
 * row instead of hashing every unpublished row of the table (EXPLAIN ANALYZE: 7 ms per claim on a
 * 20k backlog, growing with it).
 *
 * Rows that wait on an event outside the batch (the aggregate's earlier events are in flight in
 * another transaction, or retrying with backoff) stay locked by this transaction until it ends,
 * which costs other claims nothing but a skip.
 */
export const CLAIM_OLDEST_SQL = `WITH locked AS (
       SELECT e.id, e.aggregate_type, e.aggregate_id, e.aggregate_sequence, e.event_type, e.event_data,
              e.correlation_id, e.topic, e.created_at, e.retry_count
       FROM outbox_events e
       WHERE e.status = 'pending'
         AND e.next_attempt_at <= now()
         AND (e.locked_until IS NULL OR e.locked_until < now())
         AND NOT EXISTS (
           SELECT 1 FROM outbox_events dead
           WHERE dead.status = 'failed'
             AND dead.aggregate_type = e.aggregate_type
             AND dead.aggregate_id = e.aggregate_id
             AND dead.aggregate_sequence < e.aggregate_sequence)
         AND ${NOT_PAUSED}
       ORDER BY e.created_at
       LIMIT $1
       FOR UPDATE OF e SKIP LOCKED
     )
     SELECT l.*, before.waits IS NOT NULL AS waits
     FROM locked l
     LEFT JOIN LATERAL (
       SELECT true AS waits FROM outbox_events p
       WHERE p.aggregate_type = l.aggregate_type
         AND p.aggregate_id = l.aggregate_id
         AND p.aggregate_sequence = l.aggregate_sequence - 1
         AND p.status <> 'published'
       LIMIT 1
     ) before ON true`;

/** The first pass as the claim runs it: in the round trip that opens the claim's transaction. */
const CLAIM_OLDEST: SessionStatement = {
  name: 'outbox_claim_oldest',
  types: ['int'],
  text: CLAIM_OLDEST_SQL,
};

/**
 * Completes the runs the first pass broke: for each given aggregate, its events from its first
 * unpublished one up to $3 (the last sequence the window held), row-locked with SKIP LOCKED.
 * Writers commit out of `created_at` order (created_at is the transaction's start, the sequence
 * is taken at its first event), so the oldest rows can hold an aggregate's event 7 without its 6;
 * this fetches the 6. `waits` is true for every row but the aggregate's first unpublished event:
 * if that one is not returned (in flight elsewhere, retrying, dead), the rest is left out.
 * The first unpublished sequence is a min() over the partial index of unpublished rows, one
 * index descent per aggregate.
 */
export const CLAIM_RUNS_SQL = `WITH wanted AS (
       SELECT w.aggregate_type, w.aggregate_id, w.upto,
              (SELECT min(f.aggregate_sequence) FROM outbox_events f
               WHERE f.aggregate_type = w.aggregate_type AND f.aggregate_id = w.aggregate_id
                 AND f.status <> 'published') AS first
       FROM unnest($1::text[], $2::text[], $3::int[]) AS w(aggregate_type, aggregate_id, upto)
     )
     SELECT e.id, e.aggregate_type, e.aggregate_id, e.aggregate_sequence, e.event_type, e.event_data,
            e.correlation_id, e.topic, e.created_at, e.retry_count, e.aggregate_sequence <> wanted.first AS waits
     FROM wanted
     JOIN outbox_events e
       ON e.aggregate_type = wanted.aggregate_type
      AND e.aggregate_id = wanted.aggregate_id
      AND e.aggregate_sequence BETWEEN wanted.first AND wanted.upto
     WHERE e.status = 'pending'
       AND e.next_attempt_at <= now()
       AND (e.locked_until IS NULL OR e.locked_until < now())
       AND ${NOT_PAUSED}
     FOR UPDATE OF e SKIP LOCKED`;

/** How many claimable-looking heads the second pass looks at, per event of the batch. */
const WALK_FACTOR = 4;

/**
 * The window counts as clogged, and the second pass walks the aggregates, only when it kept less
 * than this share of a batch. A window that kept half a batch or more is a busy table, not a
 * clogged one: with several relays draining together, the oldest rows often include the next events
 * of aggregates in flight elsewhere, and walking for the rest cost far more than it found (4 relays,
 * 200,000 events: 695 walks at 8.8 ms each, against 2.5 ms per claim). The partial batch goes out,
 * and the next claim follows at once.
 */
const CLOGGED_BELOW_SHARE = 0.5;

/**
 * Second pass, aggregate by aggregate: walks the aggregates that have unpublished events in key
 * order (one index descent each, on the partial index of unpublished rows), starting after
 * ($2, $3) when given, and takes each aggregate's first unpublished event if it is claimable.
 * The walk stops once it has seen WALK_FACTOR × $1 claimable-looking heads (some may be in flight). `last_type`/`last_id` is where the next walk
 * should start, so successive walks go round all aggregates instead of favouring the first ones.
 */
function claimByAggregateSql(fromKey: boolean): string {
  const after = (alias: string, type: string, id: string) =>
    `(${alias}.aggregate_type, ${alias}.aggregate_id) > (${type}, ${id})`;
  return `WITH RECURSIVE firsts AS (
       (SELECT e.id, e.aggregate_type, e.aggregate_id, e.status, e.next_attempt_at, e.locked_until
        FROM outbox_events e
        WHERE e.status <> 'published' AND ${NOT_PAUSED}
          ${fromKey ? `AND ${after('e', '$2::text', '$3::text')}` : ''}
        ORDER BY e.aggregate_type, e.aggregate_id, e.aggregate_sequence
        LIMIT 1)
       UNION ALL
       SELECT next.* FROM firsts f CROSS JOIN LATERAL (
         SELECT e.id, e.aggregate_type, e.aggregate_id, e.status, e.next_attempt_at, e.locked_until
         FROM outbox_events e
         WHERE e.status <> 'published' AND ${after('e', 'f.aggregate_type', 'f.aggregate_id')}
         ORDER BY e.aggregate_type, e.aggregate_id, e.aggregate_sequence
         LIMIT 1
       ) next
     ),
     candidates AS MATERIALIZED (
       SELECT id, aggregate_type, aggregate_id FROM firsts
       WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
       LIMIT $1::int * ${WALK_FACTOR}
     ),
     ${lockHeads('c.aggregate_type, c.aggregate_id')},${FOLLOWERS_AND_LOCK}
     SELECT claimed.*, last.aggregate_type AS last_type, last.aggregate_id AS last_id
     FROM (SELECT 1) AS one
     LEFT JOIN claimed ON true
     LEFT JOIN (
       -- Where this walk ended: after the last head locked when the batch is full, else after the
       -- last aggregate looked at.
       SELECT aggregate_type::text, aggregate_id::text FROM heads WHERE (SELECT count(*) FROM heads) >= $1
       UNION ALL
       SELECT aggregate_type::text, aggregate_id::text FROM candidates WHERE (SELECT count(*) FROM heads) < $1
       ORDER BY 1 DESC, 2 DESC LIMIT 1
     ) last ON true`;
}

export const CLAIM_BY_AGGREGATE_SQL = claimByAggregateSql(false);
export const CLAIM_BY_AGGREGATE_AFTER_SQL = claimByAggregateSql(true);

type ClaimRow = Partial<ClaimedEventRow> & {
  waits?: boolean;
  last_type: string | null;
  last_id: string | null;
};

/**
 * A pg client inside a transaction the caller opened (BEGIN) and will end.
 *
 * The claim's statements are named (prepared once per connection, then only bound and executed):
 * they run once per batch, and parsing and planning them cost about as much PostgreSQL time as
 * running them (EXPLAIN: planning 0.3-0.8 ms, execution 0.4-0.6 ms for a batch of 100). Opened by
 * BEGIN_CLAIM, the transaction plans them once as well (src/outbox/relay/claim-transaction.ts).
 */
export type TransactionClient = Pick<pg.PoolClient, 'query'>;

export type BatchClaimer = {
  /**
   * Claims up to a batch of events in the caller's transaction; see createBatchClaimer. The claim
   * lasts until that transaction ends. `opening` (BEGIN and its settings) is sent in the same round
   * trip as the claim's first statement; without it the caller has opened the transaction already.
   */
  claim(client: TransactionClient, opening?: readonly string[]): Promise<ClaimedEvent[]>;
};

/**
 * Keeps, per aggregate, the run of events that follows its head without a gap. A follower can be
 * missing from a claim (SKIP LOCKED passed over it: another transaction touches that row right
 * now); its successors are then left for a later claim, or they would overtake it.
 */
export function unbrokenRuns(events: readonly ClaimedEvent[]): ClaimedEvent[] {
  const sorted = [...events].sort(byAggregateThenSequence);
  const kept: ClaimedEvent[] = [];
  let previous: ClaimedEvent | undefined;
  let broken = false;
  for (const event of sorted) {
    const sameAggregate =
      previous !== undefined &&
      previous.aggregateType === event.aggregateType &&
      previous.aggregateId === event.aggregateId;
    if (!sameAggregate) broken = false;
    else if (broken || event.aggregateSequence !== (previous as ClaimedEvent).aggregateSequence + 1)
      broken = true;
    if (!broken) kept.push(event);
    previous = event;
  }
  return kept;
}

/**
 * Of the rows the first pass locked, those a relay may publish now: each aggregate's head (its
 * predecessor is published) and the events right behind it, as long as the sequence has no gap.
 * A row whose predecessor is unpublished and not in the batch waits for it (in flight elsewhere,
 * retrying with backoff) and is left out.
 */
export function claimableRuns(rows: readonly { event: ClaimedEvent; waits: boolean }[]): ClaimedEvent[] {
  const sorted = [...rows].sort((a, b) => byAggregateThenSequence(a.event, b.event));
  const kept: ClaimedEvent[] = [];
  let previous: ClaimedEvent | undefined;
  let previousKept = false;
  for (const { event, waits } of sorted) {
    const followsPrevious =
      previous !== undefined &&
      previous.aggregateType === event.aggregateType &&
      previous.aggregateId === event.aggregateId &&
      previous.aggregateSequence + 1 === event.aggregateSequence;
    previousKept = !waits || (followsPrevious && previousKept);
    if (previousKept) kept.push(event);
    previous = event;
  }
  return kept;
}

/**
 * Claims up to `batchSize` events for one relay transaction, keeping each aggregate's order safe
 * however many relays (and transactions of one relay) run at once:
 *
 * 1. The oldest claimable-looking rows are row-locked with SKIP LOCKED in one pass, so rows other
 *    transactions hold (batches in flight, claims under way) are passed over, never waited for.
 * 2. Of those, only each aggregate's head (nothing unpublished before it) and the events right
 *    behind it in the same batch are kept, as a prefix of the aggregate's sequence.
 * 3. All of them stay row-locked until the claiming transaction ends, which is after it marked
 *    them published: the lock is the lease. While they are locked, the aggregate's next event is
 *    no head (its predecessor is not published), so nobody claims the aggregate; a crashed relay's
 *    locks go with its connection, and a frozen one's with its session
 *    (idle_in_transaction_session_timeout, src/outbox/relay/relay-pool.ts).
 *
 * Rows leased through `locked_by`/`locked_until` (by relays of earlier versions) are skipped
 * until their lease runs out.
 *
 * Oldest first is cheap (one index range, one lookup per row) and first come first served. Only
 * when that window is full and kept too little (under half a batch: it is clogged with the successors of aggregates
 * other transactions are working on, or with events waiting on a retry) does a second pass walk
 * the aggregates one by one for heads. Either way a claim costs about a batch's worth of index
 * lookups, never the size of the backlog.
 *
 * No cursor over ids is used, so an event whose transaction commits late is found on the
 * next claim like any other. A failed (dead-lettered) head blocks its aggregate: its later
 * events stay pending ("parked") until the failed one is replayed.
 *
 * While `outbox_relay_control.paused` is set, nothing is claimed, by any relay: the pause is
 * part of the claim itself, so no batch starts after pauseRelay has committed.
 */
export function createBatchClaimer({ batchSize }: { batchSize: number }): BatchClaimer {
  let walkFrom: { type: string; id: string } | null = null;

  function events(rows: ClaimRow[]): ClaimedEvent[] {
    return rows.filter((row) => row.id != null).map((row) => fromRow(row as ClaimedEventRow));
  }

  async function walk(client: TransactionClient, start: { type: string; id: string } | null, wanted: number) {
    const { rows } = start
      ? await client.query<ClaimRow>({
          name: 'outbox-claim-by-aggregate-after',
          text: CLAIM_BY_AGGREGATE_AFTER_SQL,
          values: [wanted, start.type, start.id],
        })
      : await client.query<ClaimRow>({
          name: 'outbox-claim-by-aggregate',
          text: CLAIM_BY_AGGREGATE_SQL,
          values: [wanted],
        });
    const last = rows[0];
    const end =
      last?.last_type != null && last.last_id != null ? { type: last.last_type, id: last.last_id } : null;
    return { claimed: events(rows), end };
  }

  async function byAggregate(client: TransactionClient, wanted: number): Promise<ClaimedEvent[]> {
    const start = walkFrom;
    const first = await walk(client, start, wanted);
    walkFrom = first.end ?? null;
    if (first.claimed.length >= wanted || !start) return first.claimed;
    // Started in the middle and reached the end of the key space: go round once from the start.
    const second = await walk(client, null, wanted - first.claimed.length);
    walkFrom = second.end;
    return first.claimed.concat(second.claimed);
  }

  /** The window with the runs it broke completed (CLAIM_RUNS_SQL), each row once. */
  async function completeRuns(
    client: TransactionClient,
    window: { event: ClaimedEvent; waits: boolean }[],
    kept: ReadonlySet<string>,
  ): Promise<{ event: ClaimedEvent; waits: boolean }[]> {
    const upto = new Map<string, { type: string; id: string; upto: number }>();
    for (const { event } of window) {
      if (kept.has(event.id)) continue;
      const key = `${event.aggregateType}\u0000${event.aggregateId}`;
      const known = upto.get(key);
      if (!known || known.upto < event.aggregateSequence)
        upto.set(key, { type: event.aggregateType, id: event.aggregateId, upto: event.aggregateSequence });
    }
    const wanted = [...upto.values()];
    const { rows } = await client.query<ClaimRow>({
      name: 'outbox-claim-runs',
      text: CLAIM_RUNS_SQL,
      values: [wanted.map((one) => one.type), wanted.map((one) => one.id), wanted.map((one) => one.upto)],
    });
    const byId = new Map(window.map((row) => [row.event.id, row]));
    for (const row of rows)
      byId.set(row.id as string, { event: fromRow(row as ClaimedEventRow), waits: row.waits === true });
    return [...byId.values()];
  }

  return {
    async claim(client, opening = []) {
      const { rows } = await executeInOneRoundTrip<ClaimRow>(
        client,
        CLAIM_OLDEST,
        [literalOf(batchSize, 'int')],
        {
          before: opening,
        },
      );
      let window = rows.map((row) => ({ event: fromRow(row as ClaimedEventRow), waits: row.waits === true }));
      let kept = claimableRuns(window);
      if (kept.length === window.length) return kept;
      window = await completeRuns(client, window, new Set(kept.map((event) => event.id)));
      kept = claimableRuns(window).slice(0, batchSize);
      if (kept.length >= batchSize * CLOGGED_BELOW_SHARE || rows.length < batchSize) return kept;
      // The window is clogged: look for heads aggregate by aggregate. The walk may lock rows this
      // transaction already holds (its own locks do not make it skip them).
      const known = new Set(kept.map((event) => event.id));
      const more = (await byAggregate(client, batchSize - kept.length)).filter(
        (event) => !known.has(event.id),
      );
      return unbrokenRuns(kept.concat(more));
    },
  };
}

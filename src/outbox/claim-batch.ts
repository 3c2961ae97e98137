import type pg from 'pg';
import {
  byAggregateThenSequence,
  type ClaimedEvent,
  type ClaimedEventRow,
  fromRow,
} from './claimed-event.ts';

/**
 * Claims up to `batchSize` events for one relay instance, keeping each aggregate's order safe
 * however many relays run:
 *
 * 1. A *head* is the oldest unpublished event of its aggregate (nothing pending or failed before it).
 *    Only heads that are due and not leased are candidates, and they are row-locked with
 *    SKIP LOCKED, so two relays never claim the same aggregate at once.
 * 2. Behind each claimed head, the aggregate's next pending events are claimed too, as a prefix
 *    of its sequence: first event of every aggregate, then second of every aggregate, and so on.
 * 3. All of them get a lease (`locked_by`, `locked_until`). Another relay skips the aggregate
 *    while its head is leased; a crashed relay's lease simply runs out.
 *
 * No cursor over ids is used, so an event whose transaction commits late is found on the
 * next claim like any other. A failed (dead-lettered) head blocks its aggregate: its later
 * events stay pending ("parked") until the failed one is replayed.
 */
export async function claimBatch(
  pool: pg.Pool,
  { relayId, batchSize, leaseMs }: { relayId: string; batchSize: number; leaseMs: number },
): Promise<ClaimedEvent[]> {
  const { rows } = await pool.query<ClaimedEventRow>(
    `WITH heads AS (
       SELECT e.id, e.aggregate_type, e.aggregate_id, e.aggregate_sequence, e.created_at
       FROM outbox_events e
       WHERE e.status = 'pending'
         AND e.next_attempt_at <= now()
         AND (e.locked_until IS NULL OR e.locked_until < now())
         AND NOT EXISTS (
           SELECT 1 FROM outbox_events earlier
           WHERE earlier.aggregate_type = e.aggregate_type
             AND earlier.aggregate_id = e.aggregate_id
             AND earlier.status <> 'published'
             AND earlier.aggregate_sequence < e.aggregate_sequence)
       ORDER BY e.created_at
       LIMIT $2
       FOR UPDATE OF e SKIP LOCKED
     ),
     runs AS (
       SELECT follower.id,
              row_number() OVER (PARTITION BY heads.id ORDER BY follower.aggregate_sequence) AS position,
              heads.created_at AS head_created_at
       FROM heads
       CROSS JOIN LATERAL (
         SELECT f.id, f.aggregate_sequence FROM outbox_events f
         WHERE f.aggregate_type = heads.aggregate_type
           AND f.aggregate_id = heads.aggregate_id
           AND f.status = 'pending'
           AND f.aggregate_sequence >= heads.aggregate_sequence
         ORDER BY f.aggregate_sequence
         LIMIT $2
       ) follower
     ),
     chosen AS (
       SELECT id FROM runs ORDER BY position, head_created_at LIMIT $2
     )
     UPDATE outbox_events o
     SET locked_by = $1, locked_until = now() + make_interval(secs => $3::double precision / 1000)
     FROM chosen
     WHERE o.id = chosen.id
     RETURNING o.id, o.aggregate_type, o.aggregate_id, o.aggregate_sequence, o.event_type, o.event_data,
               o.correlation_id, o.topic, o.created_at, o.retry_count`,
    [relayId, batchSize, leaseMs],
  );
  return rows.map(fromRow).sort(byAggregateThenSequence);
}

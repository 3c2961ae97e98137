import type pg from 'pg';

/**
 * Extends this relay's lease on the events of a batch it is still working on (events already
 * published or released are left alone). `takenOver` counts events another relay has claimed
 * since this one's lease ran out: those may be published twice, which is why consumers
 * deduplicate by event id.
 */
export async function renewLeases(
  pool: pg.Pool,
  { relayId, eventIds, leaseMs }: { relayId: string; eventIds: readonly string[]; leaseMs: number },
): Promise<{ renewed: number; takenOver: number }> {
  if (eventIds.length === 0) return { renewed: 0, takenOver: 0 };
  const { rows } = await pool.query<{ renewed: number; taken_over: number }>(
    `WITH renewed AS (
       UPDATE outbox_events SET locked_until = now() + make_interval(secs => $3::double precision / 1000)
       WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND status = 'pending'
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM renewed)::int AS renewed,
            (SELECT count(*) FROM outbox_events
              WHERE id = ANY($1::uuid[]) AND status = 'pending' AND locked_by <> $2)::int AS taken_over`,
    [eventIds, relayId, leaseMs],
  );
  return { renewed: rows[0]?.renewed ?? 0, takenOver: rows[0]?.taken_over ?? 0 };
}

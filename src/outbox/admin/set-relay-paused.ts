import type pg from 'pg';
import { RELAY_CONTROL_CHANNEL } from '../notification-channels.ts';
import {
  RELAY_CONTROL_COLUMNS,
  type RelayControl,
  type RelayControlRow,
  toRelayControl,
} from './relay-control.ts';

/**
 * Pauses or resumes every relay instance at once. The claim query reads the same row, so once
 * this commits no relay starts another batch (a batch already in flight still finishes); the
 * notification only makes idle relays notice (and resume) at once instead of at their next poll.
 * Resuming keeps who paused and why, for the record; `paused` is what counts.
 */
export async function setRelayPaused(
  pool: pg.Pool,
  { paused, by, reason = null }: { paused: boolean; by: string; reason?: string | null },
): Promise<RelayControl> {
  const { rows } = await pool.query<RelayControlRow>(
    `WITH changed AS (
       INSERT INTO outbox_relay_control AS c (id, paused, paused_at, paused_by, reason, updated_at)
       VALUES (1, $1, CASE WHEN $1 THEN now() END, $2, $3, now())
       ON CONFLICT (id) DO UPDATE SET
         paused = $1,
         paused_at = CASE WHEN $1 THEN now() ELSE c.paused_at END,
         paused_by = CASE WHEN $1 THEN $2 ELSE c.paused_by END,
         reason = CASE WHEN $1 THEN $3 ELSE c.reason END,
         updated_at = now()
       RETURNING ${RELAY_CONTROL_COLUMNS}
     )
     SELECT changed.*, pg_notify($4, CASE WHEN $1 THEN 'paused' ELSE 'resumed' END) FROM changed`,
    [paused, by, reason, RELAY_CONTROL_CHANNEL],
  );
  return toRelayControl(rows[0]);
}

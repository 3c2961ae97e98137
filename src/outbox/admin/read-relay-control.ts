import type pg from 'pg';
import {
  RELAY_CONTROL_COLUMNS,
  type RelayControl,
  type RelayControlRow,
  toRelayControl,
} from './relay-control.ts';

/** Whether the relays are paused, and by whom. A missing row reads as "running". */
export async function readRelayControl(pool: pg.Pool): Promise<RelayControl> {
  const { rows } = await pool.query<RelayControlRow>(
    `SELECT ${RELAY_CONTROL_COLUMNS} FROM outbox_relay_control WHERE id = 1`,
  );
  return toRelayControl(rows[0]);
}

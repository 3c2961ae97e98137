/** The pause switch shared by every relay instance (the single row of `outbox_relay_control`). */
export type RelayControl = {
  paused: boolean;
  pausedAt: Date | null;
  pausedBy: string | null;
  reason: string | null;
  updatedAt: Date;
};

export type RelayControlRow = {
  paused: boolean;
  paused_at: Date | null;
  paused_by: string | null;
  reason: string | null;
  updated_at: Date;
};

export const RELAY_CONTROL_COLUMNS = 'paused, paused_at, paused_by, reason, updated_at';

export function toRelayControl(row: RelayControlRow | undefined): RelayControl {
  if (!row) return { paused: false, pausedAt: null, pausedBy: null, reason: null, updatedAt: new Date(0) };
  return {
    paused: row.paused,
    pausedAt: row.paused_at,
    pausedBy: row.paused_by,
    reason: row.reason,
    updatedAt: row.updated_at,
  };
}

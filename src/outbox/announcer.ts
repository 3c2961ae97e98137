import type pg from 'pg';
import type { Logger } from '../infra/logger.ts';

export type Announcer = {
  /** Notifies the channel's listeners, after what the caller has already committed. */
  announce(): void;
  /** Waits for the announcement under way, if any. */
  settled(): Promise<void>;
};

/**
 * Sends a channel's NOTIFY from a transaction of its own, after the caller's commit, never from the
 * caller's transaction. PostgreSQL serialises the commits of every transaction that notified,
 * cluster-wide, behind one lock held through the commit's WAL flush (PreCommit_Notify): a NOTIFY
 * inside each writer's transaction capped this machine at 1,450–1,950 commits/s against
 * 6,200–7,500 without it (pgbench, 16 clients, one 500-byte insert per transaction), and sampled
 * pg_stat_activity showed commits queued there (wait event Lock:object). Here the lock is held for an
 * asynchronous commit only (a lost wake-up costs a listener one poll interval, nothing else), and
 * announcements coalesce: while one is under way, any number of requests make one more after it.
 *
 * The channel is an identifier of ours (notification-channels.ts), never caller input. The query is
 * one simple-protocol string, so one round trip.
 */
export function createAnnouncer({
  pool,
  channel,
  log,
}: {
  pool: pg.Pool;
  channel: string;
  log: Pick<Logger, 'warn'>;
}): Announcer {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name of ours: ${channel}`);
  const sql = `BEGIN; SET LOCAL synchronous_commit TO off; NOTIFY ${channel}; COMMIT`;
  let running: Promise<void> | null = null;
  let again = false;

  async function send(): Promise<void> {
    do {
      again = false;
      try {
        await pool.query(sql);
      } catch (error) {
        log.warn({ err: (error as Error).message, channel }, 'could not notify; listeners poll');
      }
    } while (again);
  }

  return {
    announce() {
      if (running) {
        again = true;
        return;
      }
      running = send().finally(() => {
        running = null;
      });
    },
    settled: () => running ?? Promise.resolve(),
  };
}

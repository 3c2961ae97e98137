import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { PUBLISHED_CHANNEL } from '../notification-channels.ts';

/**
 * One transaction that only sends the `outbox_published` notification, without waiting for its
 * commit record to reach disk (a lost wake-up costs the feed one poll interval, nothing else).
 * A simple-protocol query string, so it is one round trip.
 */
const ANNOUNCE_SQL = `BEGIN; SET LOCAL synchronous_commit TO off; NOTIFY ${PUBLISHED_CHANNEL}; COMMIT`;

export type PublishedAnnouncer = {
  /** Tells listeners (the live feed, the metrics sampler) that marks have committed. */
  announce(): void;
  /** Waits for the announcement under way, if any. */
  settled(): Promise<void>;
};

/**
 * Announces committed marks from a transaction of its own instead of the mark's. PostgreSQL
 * serialises the commits of every transaction that notified, cluster-wide, behind one lock held
 * through the commit's WAL flush (PreCommit_Notify); sampled pg_stat_activity showed the relay's
 * mark commits queued there (wait event Lock:object) behind the writers' commits, whose trigger
 * notifies `outbox_pending`. Outside the mark, the mark's commit is an ordinary one, and the lock is
 * held for an asynchronous commit only. Announcements coalesce: while one is under way, any number
 * of requests make one more after it.
 */
export function createPublishedAnnouncer({
  pool,
  log,
}: {
  pool: pg.Pool;
  log: Pick<Logger, 'warn'>;
}): PublishedAnnouncer {
  let running: Promise<void> | null = null;
  let again = false;

  async function send(): Promise<void> {
    do {
      again = false;
      try {
        await pool.query(ANNOUNCE_SQL);
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'could not announce published events; listeners poll');
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

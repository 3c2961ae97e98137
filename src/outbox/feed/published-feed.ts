import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { createPgListener } from '../../infra/pg-listener.ts';
import { PUBLISHED_CHANNEL } from '../notification-channels.ts';
import { createCatchUpReader } from './catch-up-reader.ts';
import { FeedSubscription, type FeedSubscriptionDeps } from './feed-subscription.ts';
import type { PublishedEvent, PublishedEventFilter } from './published-event.ts';
import { latestPublishedSeq, readPublishedAfter } from './read-published.ts';
import { RecentEvents } from './recent-events.ts';
import { createTurnBudget } from './turn-budget.ts';

const PAGE_SIZE = 500;
/** Published events kept in memory for every subscriber to follow; one further behind reads from the table. */
export const DEFAULT_MEMORY_EVENTS = 5000;
/** Pages the shared catch-up reader keeps for subscribers behind the memory (each up to PAGE_SIZE events). */
const CATCH_UP_CACHED_PAGES = 8;
/** Catch-up reads at once: the feed's pool has 3 connections, and the live reader keeps one. */
const CATCH_UP_CONCURRENT_READS = 2;
/**
 * How long deliveries may run before the event loop gets a turn (turn-budget.ts): short enough
 * that HTTP requests and database answers get the loop within milliseconds under fan-out. Measured
 * at 3 ms instead: createPet answered sooner, but deliveries fell seconds behind (fan-out p99 11 s).
 */
const DELIVERY_TURN_MS = 10;

export type PublishedFeedStats = {
  subscribers: number;
  /** Subscribers reading their way back from the table now (behind the events in memory). */
  catchingUp: number;
  /** Events in the shared memory of recent events. */
  recentEvents: number;
  /** Events in the catch-up reader's cached pages. */
  catchUpEvents: number;
  /** Pages read from the table by the live reader, and for subscribers catching up. */
  livePagesRead: number;
  catchUpPagesRead: number;
};

export type PublishedFeed = {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Every event published from now on, by any relay in any process. With `after` (a cursor
   * from an earlier event), first what was published since that cursor, then live, with
   * nothing missed and nothing twice at the seam.
   */
  subscribe(filter: PublishedEventFilter, after?: string | null): AsyncIterable<PublishedEvent>;
  stats(): PublishedFeedStats;
};

/**
 * Mirrors what the relays mark published, read from the outbox table: `outbox_published`
 * notifications say when to look, and a poll covers lost notifications. One reader per
 * process serves every subscriber, and reads only while there is one.
 *
 * Why no event is missed: events are ordered by (marking transaction's id, number), and readers
 * take only marks of transactions older than every running one (src/outbox/read-published.ts);
 * a mark still to commit therefore sorts after everything read, and reading "everything after the
 * last cursor seen" never skips a late commit, though relays mark without a common lock.
 *
 * Memory does not grow with subscribers or with how far they lag: the live reader's pages go into
 * one ring of recent events (recent-events.ts) that every subscriber follows by index, and a
 * subscriber whose place has left the ring (it started behind with `after`, or its client reads
 * slower than events are published) reads the gap through the shared catch-up reader
 * (catch-up-reader.ts), which reads each page once for every subscriber of the same filter near
 * that place and keeps a bounded number of pages. A subscriber is driven by its client: it takes
 * its next event only once the previous one has been taken, so a slow client costs its place, not
 * a buffer. Each subscriber keeps its own cursor and passes only events after it, in order.
 */
export function createPublishedFeed({
  pool,
  databaseUrl,
  logger,
  pollIntervalMs,
  memoryEvents = DEFAULT_MEMORY_EVENTS,
}: {
  pool: pg.Pool;
  databaseUrl: string;
  logger: Logger;
  pollIntervalMs: number;
  /** Events kept in memory for subscribers to follow (the ring's capacity). */
  memoryEvents?: number;
}): PublishedFeed {
  const log = logger.child({ component: 'published-feed' });
  const recent = new RecentEvents(memoryEvents);
  const catchUp = createCatchUpReader({
    read: (after, upTo, limit, filter) => readPublishedAfter(pool, after, limit, filter, upTo),
    pageSize: PAGE_SIZE,
    maxCachedPages: CATCH_UP_CACHED_PAGES,
    maxConcurrentReads: CATCH_UP_CONCURRENT_READS,
  });
  let subscribers = 0;
  let catchingUp = 0;
  const subscriptionDeps: FeedSubscriptionDeps = {
    pool,
    recent,
    catchUp,
    budget: createTurnBudget({ budgetMs: DELIVERY_TURN_MS }),
    log,
    pollIntervalMs,
    counts: {
      opened: async () => {
        subscribers += 1;
        // Publications went by unread while no one subscribed: the ring starts over before this
        // subscriber takes its place (or its cursor for "from now on").
        if (skippedAnnouncements > 0) await readNew();
      },
      closed: () => {
        subscribers -= 1;
      },
      setBehind: (behind) => {
        catchingUp += behind ? 1 : -1;
      },
    },
  };
  let livePagesRead = 0;
  let reading: Promise<void> | null = null;
  let readAgain = false;
  /**
   * Announcements of publications not read because no one subscribed: while there are any, the ring
   * must start over at the table's end before anyone follows it (it holds every event in (start, end]).
   */
  let skippedAnnouncements = 0;
  let pollTimer: NodeJS.Timeout | null = null;

  const listener = createPgListener({
    url: databaseUrl,
    channels: [PUBLISHED_CHANNEL],
    logger: log,
    onNotification: () => void readNew(),
    onReconnect: () => void readNew(),
  });

  /**
   * One read at a time; a request that arrives during a read triggers exactly one more. With no
   * subscriber, nothing is read (the relay's process would parse every event it publishes for no one):
   * the first subscriber to come restarts the ring at the table's end, and a cursor from before that
   * reads its gap from the table like any cursor behind the ring.
   */
  function readNew(): Promise<void> {
    if (subscribers === 0 && recent.ready) {
      skippedAnnouncements += 1;
      return reading ?? Promise.resolve();
    }
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      do {
        readAgain = false;
        try {
          // "From now on" starts where the table is when the database is first reached.
          if (!recent.ready) recent.begin(await latestPublishedSeq(pool));
          else if (skippedAnnouncements > 0) {
            // Those skipped while this reads the table's end may be past it: they stay counted.
            const skipped = skippedAnnouncements;
            recent.restartAfter(await latestPublishedSeq(pool));
            skippedAnnouncements -= skipped;
          }
          for (;;) {
            const page = await readPublishedAfter(pool, recent.end as string, PAGE_SIZE);
            livePagesRead += 1;
            recent.append(page);
            if (page.length < PAGE_SIZE) break;
          }
        } catch (error) {
          log.warn({ err: (error as Error).message }, 'reading published events failed; next poll retries');
        }
      } while (readAgain);
      reading = null;
    })();
    return reading;
  }

  return {
    async start() {
      await readNew();
      await listener.start();
      pollTimer = setInterval(() => {
        if (subscribers > 0 || !recent.ready) void readNew();
      }, pollIntervalMs);
      pollTimer.unref();
    },
    async stop() {
      if (pollTimer) clearInterval(pollTimer);
      await listener.stop();
      await reading;
    },
    stats: () => ({
      subscribers,
      catchingUp,
      recentEvents: recent.size,
      catchUpEvents: catchUp.stats().cachedEvents,
      livePagesRead,
      catchUpPagesRead: catchUp.stats().pagesRead,
    }),
    subscribe(filter, after) {
      return new FeedSubscription(subscriptionDeps, filter, after);
    },
  };
}

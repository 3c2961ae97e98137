import { Repeater } from '@repeaterjs/repeater';
import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { createPgListener } from '../../infra/pg-listener.ts';
import { PUBLISHED_CHANNEL } from '../notification-channels.ts';
import { matchesFilter, type PublishedEvent, type PublishedEventFilter } from './published-event.ts';
import { latestPublishedSeq, readPublishedAfter } from './read-published.ts';

const PAGE_SIZE = 500;
/** A subscriber further behind than this stops being fed from memory and reads its way back from the table. */
const MAX_QUEUED_PER_SUBSCRIBER = 5000;

export type PublishedFeed = {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Every event published from now on, by any relay in any process. With `after` (a cursor
   * from an earlier event), first what was published since that cursor, then live, with
   * nothing missed and nothing twice at the seam.
   */
  subscribe(filter: PublishedEventFilter, after?: string | null): AsyncIterable<PublishedEvent>;
};

const isAfter = (cursor: string, than: string) => BigInt(cursor) > BigInt(than);

/**
 * Mirrors what the relays mark published, read from the outbox table: `outbox_published`
 * notifications say when to look, and a poll covers lost notifications. One reader per
 * process serves every subscriber.
 *
 * Why no event is missed: events are ordered by (marking transaction's id, number), and readers
 * take only marks of transactions older than every running one (src/outbox/read-published.ts);
 * a mark still to commit therefore sorts after everything read, and reading "everything after the
 * last cursor seen" never skips a late commit, though relays mark without a common lock. Each
 * subscriber keeps its own cursor: it queues the shared reader's pages from the moment it
 * subscribes, reads the table itself when it starts behind (`after`) or falls too far behind (a
 * slow client), then drains its queue, dropping whatever its cursor has already passed.
 */
export function createPublishedFeed({
  pool,
  databaseUrl,
  logger,
  pollIntervalMs,
  maxQueuedPerSubscriber = MAX_QUEUED_PER_SUBSCRIBER,
}: {
  pool: pg.Pool;
  databaseUrl: string;
  logger: Logger;
  pollIntervalMs: number;
  maxQueuedPerSubscriber?: number;
}): PublishedFeed {
  const log = logger.child({ component: 'published-feed' });
  const subscribers = new Set<(events: PublishedEvent[]) => void>();
  /** The last number the shared reader has handed out; null until the database has been reached once. */
  let lastSeq: string | null = null;
  let reading: Promise<void> | null = null;
  let readAgain = false;
  let pollTimer: NodeJS.Timeout | null = null;

  const listener = createPgListener({
    url: databaseUrl,
    channels: [PUBLISHED_CHANNEL],
    logger: log,
    onNotification: () => void readNew(),
    onReconnect: () => void readNew(),
  });

  /** One read at a time; a request that arrives during a read triggers exactly one more. */
  function readNew(): Promise<void> {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      do {
        readAgain = false;
        try {
          // "From now on" starts where the table is when the database is first reached.
          lastSeq ??= await latestPublishedSeq(pool);
          for (;;) {
            const page = await readPublishedAfter(pool, lastSeq, PAGE_SIZE);
            const last = page.at(-1);
            if (!last) break;
            lastSeq = last.cursor;
            for (const subscriber of subscribers) subscriber(page);
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
        if (subscribers.size > 0 || lastSeq === null) void readNew();
      }, pollIntervalMs);
      pollTimer.unref();
    },
    async stop() {
      if (pollTimer) clearInterval(pollTimer);
      await listener.stop();
      await reading;
    },
    subscribe(filter, after) {
      return new Repeater<PublishedEvent>(async (push, stop) => {
        let stopped = false;
        let wake: (() => void) | null = null;
        void stop.then(() => {
          stopped = true;
          wake?.();
        });
        // Shared pages are queued from the very start; catching up from the table and the queue
        // overlap rather than leave a gap, and the cursor drops the overlap.
        // Read from `head` on (Array.shift moves the whole array: quadratic on a long queue).
        let queue: PublishedEvent[] = [];
        let head = 0;
        let overflowed = false;
        const onEvents = (events: PublishedEvent[]) => {
          if (overflowed) return;
          if (queue.length - head + events.length > maxQueuedPerSubscriber) {
            // Too far behind to buffer: drop the queue and read the gap from the table instead.
            queue = [];
            head = 0;
            overflowed = true;
          } else {
            if (head >= 1024 || head === queue.length) {
              // Drop what was delivered now and then (amortised O(1) per event).
              queue = queue.slice(head);
              head = 0;
            }
            queue.push(...events);
          }
          wake?.();
        };
        subscribers.add(onEvents);
        try {
          /** The cursor of the last event this subscriber has passed (delivered or filtered out). */
          let delivered: string;
          let catchingUp: boolean;
          if (after != null) {
            delivered = after;
            catchingUp = true;
          } else if (lastSeq !== null) {
            delivered = lastSeq;
            catchingUp = false;
          } else {
            delivered = await latestPublishedSeq(pool);
            catchingUp = true;
          }
          const pass = async (event: PublishedEvent) => {
            if (!isAfter(event.cursor, delivered)) return;
            delivered = event.cursor;
            if (!matchesFilter(event, filter)) return;
            // Not raced with `stop`: a Repeater settles a pending push when it stops, and every
            // Promise.race with the long-lived `stop` leaves a reaction on it until the subscription
            // ends. That was 2.6 GB of heap after 2.7M deliveries in the fan-out benchmark.
            await push(event);
          };
          while (!stopped) {
            if (overflowed) {
              // Pages dropped before this point were committed before the reads below start.
              overflowed = false;
              catchingUp = true;
            }
            if (catchingUp) {
              let page: PublishedEvent[];
              try {
                page = await readPublishedAfter(pool, delivered, PAGE_SIZE, filter);
              } catch (error) {
                // The database is away for a moment: the subscription waits rather than ends.
                log.warn({ err: (error as Error).message }, 'catching up failed; retrying');
                await Promise.race([new Promise((resolve) => setTimeout(resolve, pollIntervalMs)), stop]);
                continue;
              }
              if (page.length < PAGE_SIZE) catchingUp = false;
              for (const event of page) {
                if (stopped) break;
                await pass(event);
              }
              continue;
            }
            const next = queue[head];
            if (next) {
              head += 1;
              await pass(next);
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
              if (stopped || overflowed || head < queue.length) resolve();
            });
            wake = null;
          }
        } finally {
          subscribers.delete(onEvents);
        }
      });
    },
  };
}

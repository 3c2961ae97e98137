import { Repeater } from 'graphql-yoga';
import type pg from 'pg';
import type { Logger } from '../infra/logger.ts';
import { createPgListener } from '../infra/pg-listener.ts';
import { PUBLISHED_CHANNEL } from './mark-published.ts';
import { matchesFilter, type PublishedEvent, type PublishedEventFilter } from './published-event.ts';
import { latestPublishedSeq, readPublishedAfter } from './read-published.ts';

const PAGE_SIZE = 500;

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
 */
export function createPublishedFeed({
  pool,
  databaseUrl,
  logger,
  pollIntervalMs,
}: {
  pool: pg.Pool;
  databaseUrl: string;
  logger: Logger;
  pollIntervalMs: number;
}): PublishedFeed {
  const log = logger.child({ component: 'published-feed' });
  const subscribers = new Set<(events: PublishedEvent[]) => void>();
  let lastSeq = '0';
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
      lastSeq = await latestPublishedSeq(pool);
      await listener.start();
      pollTimer = setInterval(() => {
        if (subscribers.size > 0) void readNew();
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
        let delivered = after ?? lastSeq;
        let live = false;
        const buffered: PublishedEvent[] = [];
        const deliver = (events: readonly PublishedEvent[]) => {
          for (const event of events) {
            if (!isAfter(event.cursor, delivered)) continue;
            delivered = event.cursor;
            if (matchesFilter(event, filter)) void push(event);
          }
        };
        const onEvents = (events: PublishedEvent[]) => (live ? deliver(events) : buffered.push(...events));
        subscribers.add(onEvents);
        try {
          if (after != null) {
            // Catch up from the table; live events arriving meanwhile wait in `buffered`.
            for (;;) {
              const page = await readPublishedAfter(pool, delivered, PAGE_SIZE);
              deliver(page);
              if (page.length < PAGE_SIZE) break;
            }
          }
          deliver(buffered);
          buffered.length = 0;
          live = true;
          await stop;
        } finally {
          subscribers.delete(onEvents);
        }
      });
    },
  };
}

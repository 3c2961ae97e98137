import type { PublishedEvent, PublishedEventFilter } from './published-event.ts';
import { compareCursors } from './read-published.ts';

/**
 * One page of published events read for subscribers catching up: every event that matches `filter`
 * with a cursor in (after, end] is in `events`, in order. Pages of one filter never overlap, so
 * subscribers at nearby places land on the same page and are handed the same event objects (the
 * shared subscription execution recognises an event by identity and executes it once for them all).
 */
export type CatchUpPage = {
  readonly after: string;
  readonly end: string;
  /** Null once the page has left the cache: whoever was reading it looks its place up again. */
  events: readonly PublishedEvent[] | null;
};

export type CatchUpStats = {
  /** Pages read from the table since start. */
  pagesRead: number;
  /** Events held in cached pages now (at most maxCachedPages × pageSize, plus reads in flight). */
  cachedEvents: number;
};

/** Reads `(after, upTo]`, at most `limit` events matching `filter`, in publication order. */
export type ReadPage = (
  after: string,
  upTo: string,
  limit: number,
  filter: PublishedEventFilter,
) => Promise<PublishedEvent[]>;

type CachedPage = CatchUpPage & { lastUsed: number; group: Group };
type PendingRead = { after: string; upTo: string; done: Promise<void> };
type Group = { key: string; pages: CachedPage[]; pending: PendingRead[] };

const filterKey = (filter: PublishedEventFilter): string =>
  JSON.stringify([
    filter.aggregateType || '',
    filter.aggregateId || '',
    filter.eventType || '',
    filter.topic || '',
  ]);

/**
 * The shared reader for subscribers that fell behind the feed's memory (recent-events.ts).
 *
 * A subscriber asks for the page holding the first event after its cursor. If a cached page of its
 * filter covers that place, it gets that page; if a read covering it is under way, it waits for that
 * read; otherwise it reads from its cursor up to the next page already cached or being read (or up
 * to where the feed's memory begins), so that pages chain without overlapping and the subscribers
 * behind it join the same chain. Each page is read once while cached, whatever the number of readers.
 *
 * Memory is bounded: at most `maxCachedPages` pages are cached (the least recently used goes, and
 * its events with it: a subscriber holds a page, never a copy), and at most `maxConcurrentReads`
 * reads run at once (the others queue as promises, holding no events). A subscriber that cannot keep
 * up holds its place (a cursor), not the events after it.
 */
export function createCatchUpReader({
  read,
  pageSize,
  maxCachedPages,
  maxConcurrentReads,
}: {
  read: ReadPage;
  pageSize: number;
  maxCachedPages: number;
  maxConcurrentReads: number;
}) {
  const groups = new Map<string, Group>();
  let cached = 0;
  let cachedEvents = 0;
  let clock = 0;
  let pagesRead = 0;
  let freeSlots = maxConcurrentReads;
  const slotQueue: (() => void)[] = [];

  const acquireSlot = (): Promise<void> => {
    if (freeSlots > 0) {
      freeSlots -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => slotQueue.push(resolve));
  };
  const releaseSlot = () => {
    const next = slotQueue.shift();
    if (next) next();
    else freeSlots += 1;
  };

  const groupFor = (key: string): Group => {
    let group = groups.get(key);
    if (!group) {
      group = { key, pages: [], pending: [] };
      groups.set(key, group);
    }
    return group;
  };
  const dropIfEmpty = (group: Group) => {
    if (group.pages.length === 0 && group.pending.length === 0) groups.delete(group.key);
  };

  const evictLeastRecentlyUsed = () => {
    let oldest: CachedPage | null = null;
    for (const group of groups.values()) {
      for (const page of group.pages) if (!oldest || page.lastUsed < oldest.lastUsed) oldest = page;
    }
    if (!oldest) return;
    const { group } = oldest;
    group.pages.splice(group.pages.indexOf(oldest), 1);
    cached -= 1;
    cachedEvents -= oldest.events?.length ?? 0;
    oldest.events = null;
    dropIfEmpty(group);
  };

  const insert = (group: Group, page: CachedPage) => {
    let at = group.pages.length;
    while (at > 0 && compareCursors((group.pages[at - 1] as CachedPage).after, page.after) > 0) at -= 1;
    group.pages.splice(at, 0, page);
    cached += 1;
    cachedEvents += page.events?.length ?? 0;
    while (cached > maxCachedPages) evictLeastRecentlyUsed();
  };

  /** Outcomes of reads that failed, for the subscriber that started each (the others just look again). */
  const failures = new WeakMap<PendingRead, unknown>();

  /** Reads `(after, upTo]` into the group's cache; registered before its first await, so no one reads it twice. */
  const startRead = (
    group: Group,
    filter: PublishedEventFilter,
    after: string,
    upTo: string,
  ): PendingRead => {
    const pending: PendingRead = { after, upTo, done: Promise.resolve() };
    group.pending.push(pending);
    const run = async () => {
      await acquireSlot();
      try {
        const events = await read(after, upTo, pageSize, filter);
        pagesRead += 1;
        const last = events.at(-1);
        // A short page reached its bound: the whole range is known, empty stretches included.
        const end = events.length === pageSize && last ? last.cursor : upTo;
        insert(group, { after, end, events, lastUsed: ++clock, group });
      } finally {
        releaseSlot();
        group.pending.splice(group.pending.indexOf(pending), 1);
        dropIfEmpty(group);
      }
    };
    pending.done = run().catch((error: unknown) => {
      failures.set(pending, error);
    });
    return pending;
  };

  return {
    /**
     * The page holding the first event after `cursor` that matches `filter`, reading no further than
     * `bound` (where the feed's memory begins; `cursor` is before it). Rejects when the read it
     * started failed; a caller retries later.
     */
    async pageAfter(filter: PublishedEventFilter, cursor: string, bound: string): Promise<CatchUpPage> {
      if (compareCursors(cursor, bound) >= 0)
        throw new RangeError('a catch-up read must end after its cursor');
      const key = filterKey(filter);
      for (;;) {
        const group = groupFor(key);
        let next = bound;
        let waitFor: PendingRead | null = null;
        for (const page of group.pages) {
          if (compareCursors(page.after, cursor) <= 0 && compareCursors(cursor, page.end) < 0) {
            page.lastUsed = ++clock;
            return page;
          }
          if (compareCursors(page.after, cursor) > 0 && compareCursors(page.after, next) < 0)
            next = page.after;
        }
        for (const pending of group.pending) {
          if (compareCursors(pending.after, cursor) <= 0 && compareCursors(cursor, pending.upTo) < 0) {
            waitFor = pending;
            break;
          }
          if (compareCursors(pending.after, cursor) > 0 && compareCursors(pending.after, next) < 0) {
            next = pending.after;
          }
        }
        if (waitFor) {
          // Another subscriber's read covers this place: share it (if it ends short of it, look again).
          await waitFor.done;
          continue;
        }
        const started = startRead(group, filter, cursor, next);
        await started.done;
        const error = failures.get(started);
        if (error !== undefined) throw error;
      }
    },
    stats(): CatchUpStats {
      return { pagesRead, cachedEvents };
    },
  };
}

export type CatchUpReader = ReturnType<typeof createCatchUpReader>;

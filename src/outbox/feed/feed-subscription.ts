import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import type { CatchUpPage, CatchUpReader } from './catch-up-reader.ts';
import { matchesFilter, type PublishedEvent, type PublishedEventFilter } from './published-event.ts';
import { canonicalCursor, compareCursors, firstIndexAfter, latestPublishedSeq } from './read-published.ts';
import type { RecentEvents } from './recent-events.ts';
import type { TurnBudget } from './turn-budget.ts';

export type FeedSubscriptionDeps = {
  pool: pg.Pool;
  recent: RecentEvents;
  catchUp: CatchUpReader;
  budget: TurnBudget;
  log: Logger;
  pollIntervalMs: number;
  /** Told when the subscription starts and ends, and whenever it starts or stops catching up. */
  counts: { opened(): Promise<void> | void; closed(): void; setBehind(behind: boolean): void };
};

/**
 * One subscriber of the published feed, as an async iterator that finds its next event when asked
 * for it: its place in the ring of recent events (or in a shared catch-up page) and the cursor of
 * the last event it passed, nothing else. An event already in the ring is handed over at once, in
 * the same promise reaction; only a subscriber at the head of the feed (or catching up) waits.
 *
 * It replaces a Repeater whose executor pushed each event and waited for it to be taken: the push
 * and its handshake cost about ten promises per event per subscriber, the largest share of the
 * server's CPU under fan-out. What is delivered is the same: every event after the starting
 * cursor, once, in publication order; a client that reads slowly costs its place, not a buffer.
 *
 * Calls to next() are served one at a time, in turn (as for await makes them anyway); return()
 * ends the subscription at once, also while a next() waits, which then answers done.
 */
export class FeedSubscription implements AsyncIterableIterator<PublishedEvent> {
  readonly #deps: FeedSubscriptionDeps;
  readonly #filter: PublishedEventFilter;
  readonly #after: string | null;
  #started = false;
  #stopped = false;
  #inFlight = false;
  #queued: (() => void)[] = [];
  #interrupt: (() => void) | null = null;
  #behind = false;
  /** The cursor of the last event this subscriber has passed (delivered or filtered out). */
  #delivered = '';
  /** Its place in the ring of recent events; null when it must look it up (or catch up first). */
  #index: number | null = null;
  /** The catch-up page it is reading, and its place in it. */
  #page: CatchUpPage | null = null;
  #at = 0;

  constructor(deps: FeedSubscriptionDeps, filter: PublishedEventFilter, after: string | null | undefined) {
    this.#deps = deps;
    this.#filter = filter;
    this.#after = after ?? null;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<PublishedEvent>> {
    if (this.#inFlight) {
      return new Promise<void>((resolve) => this.#queued.push(resolve)).then(() => this.next());
    }
    return this.#step();
  }

  async return(): Promise<IteratorResult<PublishedEvent>> {
    this.#stop();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<PublishedEvent>> {
    this.#stop();
    throw error;
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#interrupt?.();
    if (this.#started) {
      this.#setBehind(false);
      this.#deps.counts.closed();
    }
  }

  #setBehind(value: boolean): void {
    if (value === this.#behind) return;
    this.#behind = value;
    this.#deps.counts.setBehind(value);
  }

  async #step(): Promise<IteratorResult<PublishedEvent>> {
    this.#inFlight = true;
    try {
      if (!this.#started) await this.#start();
      // The event loop gets its turn between deliveries (turn-budget.ts).
      else if (this.#deps.budget.spend()) await this.#unlessStopped(this.#deps.budget.nextTurn());
      const event = await this.#nextEvent();
      return event ? { done: false, value: event } : { done: true, value: undefined };
    } catch (error) {
      // The subscription ends with its error (graphql-ws reports it to the client).
      this.#stop();
      throw error;
    } finally {
      this.#inFlight = false;
      this.#queued.shift()?.();
    }
  }

  async #start(): Promise<void> {
    this.#started = true;
    if (this.#stopped) return;
    await this.#deps.counts.opened();
    const { recent, pool } = this.#deps;
    this.#delivered =
      this.#after !== null ? canonicalCursor(this.#after) : (recent.end ?? (await latestPublishedSeq(pool)));
  }

  /** The next event to deliver, or null once stopped. */
  async #nextEvent(): Promise<PublishedEvent | null> {
    const { recent, catchUp, log, pollIntervalMs } = this.#deps;
    while (!this.#stopped) {
      const page = this.#page;
      if (page) {
        const events = page.events;
        // Left the cache meanwhile: look the place up again (from the cursor).
        if (!events) {
          this.#page = null;
          continue;
        }
        const event = events[this.#at];
        if (!event) {
          // The whole page passed: its range is done, empty stretches after its last event too.
          if (compareCursors(page.end, this.#delivered) > 0) this.#delivered = page.end;
          this.#page = null;
          continue;
        }
        this.#at += 1;
        if (this.#passes(event)) return event;
        continue;
      }
      if (!recent.ready) {
        await this.#nextChange();
        continue;
      }
      if (this.#index === null) this.#index = recent.indexAfter(this.#delivered);
      if (this.#index === null) {
        // Behind the ring: the gap from the table, up to where the ring begins, shared with the
        // subscribers of the same filter near this place.
        this.#setBehind(true);
        let read: CatchUpPage | undefined;
        try {
          read = await this.#unlessStopped(
            catchUp.pageAfter(this.#filter, this.#delivered, recent.start as string),
          );
        } catch (error) {
          // The database is away for a moment: the subscription waits rather than ends.
          log.warn({ err: (error as Error).message }, 'catching up failed; retrying');
          await this.#unlessStopped(new Promise((resolve) => setTimeout(resolve, pollIntervalMs)));
          continue;
        }
        if (!read) continue;
        const held = read.events ?? [];
        this.#at = firstIndexAfter(
          this.#delivered,
          0,
          held.length,
          (index) => (held[index] as PublishedEvent).cursor,
        );
        this.#page = read;
        continue;
      }
      this.#setBehind(false);
      const event = recent.at(this.#index);
      if (event === null) {
        // Fell out of the ring (its client reads slower than events come): catch up.
        this.#index = null;
        continue;
      }
      if (event === undefined) {
        await this.#nextChange();
        continue;
      }
      this.#index += 1;
      if (this.#passes(event)) return event;
    }
    return null;
  }

  /** Moves the cursor past `event`; true when the subscriber wants it. */
  #passes(event: PublishedEvent): boolean {
    if (compareCursors(event.cursor, this.#delivered) <= 0) return false;
    this.#delivered = event.cursor;
    return matchesFilter(event, this.#filter);
  }

  async #nextChange(): Promise<void> {
    const change = this.#deps.recent.changed();
    await this.#unlessStopped(change.promise);
    change.cancel();
  }

  /**
   * Waits for `promise` unless the subscription stops first (then undefined). Not a race with a
   * long-lived promise: every Promise.race with one leaves a reaction on it until it settles.
   */
  #unlessStopped<T>(promise: Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      this.#interrupt = () => resolve(undefined);
      if (this.#stopped) resolve(undefined);
      promise.then(resolve, reject);
    }).finally(() => {
      this.#interrupt = null;
    });
  }
}

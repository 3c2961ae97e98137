import type { PublishedEvent } from './published-event.ts';
import { compareCursors, firstIndexAfter } from './read-published.ts';

/**
 * The most recent published events, as the feed's live reader read them, in one ring shared by every
 * subscriber: a subscriber keeps only its place in it (an absolute index), never a queue of its own,
 * so memory follows the ring's capacity, not the number of subscribers or how far behind they are.
 *
 * The ring holds every event with a cursor in (start, end], none missing: the live reader appends its
 * pages in order, and an event leaves only from the old end, moving `start` up to its cursor. A
 * subscriber whose place has left the ring reads its way back from the table (catch-up-reader.ts)
 * up to `start`, and continues here.
 */
export class RecentEvents {
  readonly #ring: (PublishedEvent | undefined)[];
  /** Absolute index of the oldest event held; the next append takes index #next. */
  #first = 0;
  #next = 0;
  #start: string | null = null;
  #end: string | null = null;
  #waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#ring = new Array(capacity);
  }

  /** False until the live reader has told where "now" is (it may not reach the database at first). */
  get ready(): boolean {
    return this.#end !== null;
  }

  /** Everything after this cursor is held here (or still to come); null before `ready`. */
  get start(): string | null {
    return this.#start;
  }

  /** The last cursor the live reader has read up to; null before `ready`. */
  get end(): string | null {
    return this.#end;
  }

  get size(): number {
    return this.#next - this.#first;
  }

  /** The live reader's starting point: nothing before it is held (nor needed by a subscriber from now on). */
  begin(cursor: string): void {
    if (this.#end !== null) return;
    this.#start = cursor;
    this.#end = cursor;
    this.#wake();
  }

  /**
   * Lets go of every event held and holds from `cursor` on (a place after `end`): the live reader
   * stopped reading while no one followed the ring, so what it skipped is in the table only. Every
   * index handed out before, even that of the next event to come, now points before the ring (`at`
   * answers null): whoever holds one looks its place up again and reads the gap from the table, as
   * when its events leave the ring.
   */
  restartAfter(cursor: string): void {
    if (this.#end === null) {
      this.begin(cursor);
      return;
    }
    if (compareCursors(cursor, this.#end) <= 0) return;
    this.#ring.fill(undefined);
    this.#next += 1;
    this.#first = this.#next;
    this.#start = cursor;
    this.#end = cursor;
    this.#wake();
  }

  /** Appends a page read after `end`, in order; the oldest events make room. */
  append(events: readonly PublishedEvent[]): void {
    if (this.#end === null) throw new Error('append before begin');
    for (const event of events) {
      if (this.#next - this.#first === this.capacity) {
        const oldest = this.#ring[this.#first % this.capacity] as PublishedEvent;
        this.#start = oldest.cursor;
        this.#first += 1;
      }
      this.#ring[this.#next % this.capacity] = event;
      this.#next += 1;
      this.#end = event.cursor;
    }
    if (events.length > 0) this.#wake();
  }

  /**
   * The absolute index of the first event after `cursor`, or null when events after it have already
   * left the ring (the caller must catch up from the table first). A cursor past `end` gets the index
   * of the next event to come.
   */
  indexAfter(cursor: string): number | null {
    if (this.#start === null || compareCursors(cursor, this.#start) < 0) return null;
    return firstIndexAfter(
      cursor,
      this.#first,
      this.#next,
      (index) => (this.#ring[index % this.capacity] as PublishedEvent).cursor,
    );
  }

  /** The event at an absolute index: undefined when not read yet, null when it has left the ring. */
  at(index: number): PublishedEvent | null | undefined {
    if (index < this.#first) return null;
    if (index >= this.#next) return undefined;
    return this.#ring[index % this.capacity];
  }

  /** Resolves at the next append (or begin); `cancel` resolves it early and drops it. */
  changed(): { promise: Promise<void>; cancel: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    this.#waiters.push(resolve);
    return {
      promise,
      cancel: () => {
        const at = this.#waiters.indexOf(resolve);
        if (at >= 0) this.#waiters.splice(at, 1);
        resolve();
      },
    };
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

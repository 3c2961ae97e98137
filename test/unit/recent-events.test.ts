import { describe, expect, test } from 'vitest';
import type { PublishedEvent } from '../../src/outbox/feed/published-event.ts';
import { canonicalCursor, compareCursors } from '../../src/outbox/feed/read-published.ts';
import { RecentEvents } from '../../src/outbox/feed/recent-events.ts';

const event = (cursor: number): PublishedEvent => ({
  cursor: String(cursor),
  eventId: `e${cursor}`,
  aggregateType: 'pet',
  aggregateId: 'p',
  aggregateSequence: cursor,
  eventType: 'pet.created',
  data: {},
  correlationId: null,
  topic: 't',
  partition: 0,
  offset: String(cursor),
  createdAt: new Date(0),
  publishedAt: new Date(0),
});

describe('cursor order without BigInt', () => {
  test('orders canonical cursors as numbers', () => {
    const cursors = ['10', '9', '100000000000000000000000000000', '0', '99999999999999999999', '11'];
    const sorted = [...cursors].sort(compareCursors);
    expect(sorted).toEqual(
      [...cursors].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)),
    );
    expect(compareCursors('42', '42')).toBe(0);
  });

  test('a client cursor with leading zeros is made canonical first', () => {
    expect(canonicalCursor('0042')).toBe('42');
    expect(canonicalCursor('0')).toBe('0');
  });
});

describe('the ring of recent events', () => {
  test('holds every event after its start, and only those', () => {
    const ring = new RecentEvents(3);
    expect(ring.ready).toBe(false);
    ring.begin('10');
    expect(ring.indexAfter('10')).toBe(0);
    expect(ring.indexAfter('9')).toBeNull();
    ring.append([event(11), event(12)]);
    expect(ring.at(0)?.cursor).toBe('11');
    expect(ring.at(2)).toBeUndefined();
    ring.append([event(14), event(15)]);
    // 11 left to make room: the ring now holds everything in (11, 15].
    expect(ring.start).toBe('11');
    expect(ring.end).toBe('15');
    expect(ring.size).toBe(3);
    expect(ring.at(0)).toBeNull();
    expect(ring.indexAfter('10')).toBeNull();
    expect(ring.indexAfter('11')).toBe(1);
    expect(ring.indexAfter('13')).toBe(2);
    expect(ring.at(2)?.cursor).toBe('14');
    // Past the end: the index of the next event to come.
    expect(ring.indexAfter('99')).toBe(4);
  });

  test('wakes its waiters on an append, and a cancelled wait is dropped', async () => {
    const ring = new RecentEvents(2);
    ring.begin('0');
    const waiting = ring.changed();
    const cancelled = ring.changed();
    cancelled.cancel();
    await cancelled.promise;
    ring.append([event(1)]);
    await waiting.promise;
    expect(ring.at(0)?.cursor).toBe('1');
  });
});

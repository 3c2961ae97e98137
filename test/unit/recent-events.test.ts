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

  test('starts over after a later cursor: nothing held, every index handed out before points before it', async () => {
    const ring = new RecentEvents(3);
    ring.begin('10');
    ring.append([event(11), event(12)]);
    const waitingAt = ring.indexAfter('12') as number;
    expect(ring.at(waitingAt)).toBeUndefined();
    const woken = ring.changed();
    ring.restartAfter('20');
    await woken.promise;
    expect({ start: ring.start, end: ring.end, size: ring.size }).toEqual({
      start: '20',
      end: '20',
      size: 0,
    });
    // The held event and the place of the next one to come have both left: whoever holds them
    // looks its place up again, and a cursor before 20 is behind the ring (read from the table).
    expect(ring.at(0)).toBeNull();
    expect(ring.at(waitingAt)).toBeNull();
    expect(ring.indexAfter('12')).toBeNull();
    expect(ring.indexAfter('19')).toBeNull();
    const next = ring.indexAfter('20') as number;
    ring.append([event(21)]);
    expect(ring.at(next)?.cursor).toBe('21');
    // An earlier or equal cursor changes nothing; before `begin`, it is the beginning.
    ring.restartAfter('20');
    expect(ring.at(next)?.cursor).toBe('21');
    const fresh = new RecentEvents(2);
    fresh.restartAfter('5');
    expect({ ready: fresh.ready, start: fresh.start }).toEqual({ ready: true, start: '5' });
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

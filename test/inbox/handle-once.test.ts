/**
 * The consumer-side inbox: work runs once per (consumer, event id), in the consumer's transaction.
 * A duplicate delivery is skipped, even when it arrives while the first is still in flight; a
 * failed attempt leaves no trace, so the redelivery applies the event; consumers are independent.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { handleMessageOnce, handleOnce } from '../../src/inbox/handle-once.ts';
import type { Database } from '../../src/infra/db.ts';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import { createMessageEncoder, type MessageFormat } from '../../src/outbox/relay/kafka-message.ts';
import { test } from '../support/fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

let db: Database;

test.beforeAll(({ database }) => {
  db = database.db;
});

async function applied(consumer: string): Promise<number> {
  const rows = await db.prisma.$queryRawUnsafe<{ applied: number }[]>(
    'SELECT coalesce(sum(applied), 0)::int AS applied FROM demo_event_counts WHERE consumer = $1',
    consumer,
  );
  return rows[0]?.applied ?? 0;
}

function countOnce(
  consumer: string,
  eventId: string,
  { fail = false, hold, started }: { fail?: boolean; hold?: Promise<void>; started?: () => void } = {},
) {
  return db.prisma.$transaction(
    (tx) =>
      handleOnce(tx, consumer, eventId, async (inboxTx) => {
        started?.();
        await inboxTx.$executeRaw`
          INSERT INTO demo_event_counts (consumer, event_type, applied) VALUES (${consumer}, 'pet.test', 1)
          ON CONFLICT (consumer, event_type) DO UPDATE SET applied = demo_event_counts.applied + 1`;
        await hold;
        if (fail) throw new Error('the consumer failed half-way');
        return 'done';
      }),
    { timeout: 30_000 },
  );
}

describe('handleOnce', () => {
  test('applies an event once however often it is delivered', async () => {
    const eventId = randomUUID();
    expect(await countOnce('c-repeat', eventId)).toEqual({ applied: true, result: 'done' });
    expect(await countOnce('c-repeat', eventId)).toEqual({ applied: false });
    expect(await countOnce('c-repeat', eventId)).toEqual({ applied: false });
    expect(await applied('c-repeat')).toBe(1);
  });

  test('a duplicate arriving while the first delivery is in flight waits for it and is skipped', async () => {
    const eventId = randomUUID();
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      running = resolve;
    });
    const first = countOnce('c-race', eventId, { hold, started: running });
    // The first delivery has recorded the id (uncommitted) and is still working.
    await inFlight;
    const second = countOnce('c-race', eventId);
    await waitFor(
      async () => {
        const rows = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        return (rows[0]?.n ?? 0) > 0;
      },
      { what: 'the duplicate to wait for the first delivery' },
    );
    release();
    const outcomes = await Promise.all([first, second]);
    expect(outcomes).toEqual([{ applied: true, result: 'done' }, { applied: false }]);
    expect(await applied('c-race')).toBe(1);
  });

  test('a failed attempt leaves nothing behind, so the redelivery applies the event', async () => {
    const eventId = randomUUID();
    await expect(countOnce('c-fail', eventId, { fail: true })).rejects.toThrow('half-way');
    expect(await applied('c-fail')).toBe(0);
    expect(await countOnce('c-fail', eventId)).toEqual({ applied: true, result: 'done' });
    expect(await applied('c-fail')).toBe(1);
  });

  test('each consumer has its own inbox', async () => {
    const eventId = randomUUID();
    expect((await countOnce('c-one', eventId)).applied).toBe(true);
    expect((await countOnce('c-two', eventId)).applied).toBe(true);
    expect([await applied('c-one'), await applied('c-two')]).toEqual([1, 1]);
  });
});

describe('handleMessageOnce', () => {
  test('reads the event id from a message in any format; the same event in two formats counts once', async () => {
    const sent: ClaimedEvent = {
      id: randomUUID(),
      aggregateType: 'pet',
      aggregateId: 'pet-1',
      aggregateSequence: 1,
      eventType: 'pet.created',
      eventData: '{"schemaVersion":1}',
      correlationId: null,
      topic: 'petstore.pets',
      createdAt: new Date(),
      retryCount: 0,
    };
    const apply = (format: MessageFormat) =>
      db.prisma.$transaction((tx) =>
        handleMessageOnce(
          tx,
          'c-formats',
          createMessageEncoder(format, '/test')(sent),
          async (_tx, event) => ({
            type: event.type,
            format: event.format,
          }),
        ),
      );
    expect(await apply('structured')).toEqual({
      applied: true,
      result: { type: 'pet.created', format: 'structured' },
    });
    expect(await apply('binary')).toEqual({ applied: false });
    expect(await apply('compact')).toEqual({ applied: false });
  });

  test('applies nothing for a message that is no outbox event', async () => {
    const outcome = await db.prisma.$transaction((tx) =>
      handleMessageOnce(tx, 'c-foreign', { key: 'k', value: 'hello', headers: {} }, async () => 'ran'),
    );
    expect(outcome).toEqual({ applied: false, notAnEvent: true });
  });
});

import { describe, expect } from 'vitest';
import { EventContractError, recordEvent } from '../../src/events/record-event.ts';
import type { Database } from '../../src/infra/db.ts';
import { PetCreated } from '../../src/modules/pets/pet.events.ts';
import { test } from '../support/fixtures.ts';

let db: Database;

test.beforeAll(({ database }) => {
  db = database.db;
});

describe('recordEvent', () => {
  test('writes the parsed payload with schemaVersion and the next sequence number of the aggregate', async () => {
    const aggregateId = PetCreated.example.pet.id;
    const context = { correlationId: 'corr-record-1', topicPrefix: 'petstore' };
    const [first, second] = await db.prisma.$transaction(async (tx) => [
      await recordEvent(tx, PetCreated, aggregateId, PetCreated.example, context),
      await recordEvent(tx, PetCreated, aggregateId, PetCreated.example, context),
    ]);
    expect([first?.aggregateSequence, second?.aggregateSequence]).toEqual([1, 2]);
    const row = await db.prisma.outboxEvent.findUniqueOrThrow({ where: { id: first?.id as string } });
    expect(row).toMatchObject({ eventType: 'pet.created', aggregateType: 'pet', topic: 'petstore.pets' });
    expect(JSON.parse(row.eventData)).toEqual({ schemaVersion: 1, ...PetCreated.example });
  });

  test('a payload that breaks the contract throws and rolls the transaction back', async () => {
    const before = await db.prisma.outboxEvent.count();
    const broken = { pet: { ...PetCreated.example.pet, price: '12.5' } };
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.pet.create({ data: { name: 'Ghost', species: 'cat', price: '12.50' } });
        await recordEvent(tx, PetCreated, broken.pet.id, broken, {
          correlationId: null,
          topicPrefix: 'petstore',
        });
      }),
    ).rejects.toBeInstanceOf(EventContractError);
    expect(await db.prisma.outboxEvent.count()).toBe(before);
    expect(await db.prisma.pet.count({ where: { name: 'Ghost' } })).toBe(0);
  });
});

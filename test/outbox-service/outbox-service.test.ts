import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { petSnapshot } from '../../src/modules/pets/pet.events.ts';
import { createOutboxService, type OutboxService } from '../../src/outbox-service/create-outbox-service.ts';
import { InvalidOutboxEventError, type OutboxEventInput } from '../../src/outbox-service/outbox-event.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

let database: TestDatabase;
let outbox: OutboxService;

beforeAll(async () => {
  database = await createTestDatabase();
  // No relay: these tests look at what the transactions leave in the table.
  outbox = createOutboxService({
    config: loadConfig({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: randomTopicPrefix('library'),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    }),
    relay: false,
    feed: false,
  });
  await outbox.start();
});

afterAll(async () => {
  await outbox?.stop();
  await database?.drop();
});

const eventsOf = (aggregateId: string) =>
  outbox.prisma.outboxEvent.findMany({ where: { aggregateId }, orderBy: { aggregateSequence: 'asc' } });

async function createdPet(name: string) {
  return outbox.withTransaction(async (tx) => {
    const pet = await tx.pet.create({ data: { name, species: 'cat', price: '10.00' } });
    const event = await outbox.publishPetEvent(tx, {
      petId: pet.id,
      eventType: 'created',
      data: { pet: petSnapshot(pet) },
    });
    return { pet, event };
  });
}

/** Runs `fn` in a transaction that writes a pet first; resolves with the error and the pet's id. */
async function failingTransaction(fn: Parameters<OutboxService['withTransaction']>[0]) {
  let petId = '';
  const error = await outbox
    .withTransaction(async (tx) => {
      const pet = await tx.pet.create({ data: { name: 'Ghost', species: 'cat', price: '10.00' } });
      petId = pet.id;
      return fn(tx);
    })
    .then(
      () => null,
      (thrown: unknown) => thrown,
    );
  return { error, petId };
}

describe('withTransaction', () => {
  test('commits the business row and its event together when the function resolves', async () => {
    const { pet, event } = await createdPet('Max');
    expect(await outbox.prisma.pet.findUnique({ where: { id: pet.id } })).not.toBeNull();
    const [row] = await eventsOf(pet.id);
    expect(row).toMatchObject({
      id: event.id,
      eventType: 'pet.created',
      aggregateType: 'pet',
      aggregateSequence: 1,
      status: 'pending',
      topic: event.topic,
    });
    expect(JSON.parse(row?.eventData ?? '{}')).toMatchObject({
      schemaVersion: 1,
      pet: { id: pet.id, name: 'Max' },
    });
  });

  test('rolls the business row back and rethrows when the function throws', async () => {
    const failure = new Error('the payment failed');
    const { error, petId } = await failingTransaction(async () => {
      throw failure;
    });
    expect(error).toBe(failure);
    expect(await outbox.prisma.pet.findUnique({ where: { id: petId } })).toBeNull();
    expect(await eventsOf(petId)).toEqual([]);
  });

  test('an event published before the failure is rolled back with the row', async () => {
    let published = '';
    const { error, petId } = await failingTransaction(async (tx) => {
      const pet = await tx.pet.findFirstOrThrow({ where: { name: 'Ghost' }, orderBy: { createdAt: 'desc' } });
      const event = await outbox.publishPetEvent(tx, {
        petId: pet.id,
        eventType: 'created',
        data: { pet: petSnapshot(pet) },
      });
      published = event.id;
      throw new Error('after the event');
    });
    expect((error as Error).message).toBe('after the event');
    expect(published).not.toBe('');
    expect(await outbox.prisma.outboxEvent.findUnique({ where: { id: published } })).toBeNull();
    expect(await eventsOf(petId)).toEqual([]);
  });
});

describe('publishEvent refuses what the contract does not allow, and writes nothing', () => {
  async function refusal(event: unknown) {
    const { error, petId } = await failingTransaction((tx) =>
      outbox.publishEvent(tx, event as OutboxEventInput),
    );
    expect(await eventsOf(petId)).toEqual([]);
    expect(await outbox.prisma.pet.findUnique({ where: { id: petId } })).toBeNull();
    expect(error).toBeInstanceOf(InvalidOutboxEventError);
    return error as InvalidOutboxEventError;
  }

  const validPet = async () => {
    const { pet } = await createdPet('Template');
    return petSnapshot(pet);
  };

  test('an unknown event type, naming the known ones', async () => {
    const error = await refusal({ type: 'pet.exploded', aggregateId: 'x', data: {} });
    expect(error.issues).toContainEqual({
      path: 'type',
      message: expect.stringContaining('unknown event type "pet.exploded"'),
    });
    expect(error.message).toContain('pet.created');
  });

  test('a payload that breaks its schema, every problem with its path', async () => {
    const pet = await validPet();
    const error = await refusal({
      type: 'pet.created',
      aggregateId: pet.id,
      data: { pet: { ...pet, price: 12.5, status: 'flying' } },
    });
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['data.pet.price', 'data.pet.status']);
  });

  test('an event filed under one aggregate while describing another', async () => {
    const pet = await validPet();
    const error = await refusal({
      type: 'pet.created',
      aggregateId: '11111111-1111-4111-8111-111111111111',
      data: { pet },
    });
    expect(error.issues).toEqual([
      { path: 'data.pet.id', message: 'must equal the aggregate id "11111111-1111-4111-8111-111111111111"' },
    ]);
  });

  test('missing, empty, over-long or non-string ids', async () => {
    const pet = await validPet();
    expect((await refusal({ type: 'pet.created', data: { pet } })).issues).toContainEqual({
      path: 'aggregateId',
      message: 'is required',
    });
    expect((await refusal({ type: 'pet.created', aggregateId: '  ', data: { pet } })).issues).toContainEqual({
      path: 'aggregateId',
      message: 'must not be empty',
    });
    expect(
      (
        await refusal({
          type: 'pet.created',
          aggregateId: pet.id,
          correlationId: 'c'.repeat(256),
          data: { pet },
        })
      ).issues,
    ).toEqual([{ path: 'correlationId', message: 'must be at most 255 characters' }]);
    expect(
      (await refusal({ type: 'pet.created', aggregateId: { $ne: null }, data: { pet } })).issues,
    ).toContainEqual({ path: 'aggregateId', message: 'must be a string, got object' });
  });

  test('no event at all, or a payload that is no object', async () => {
    expect((await refusal(null)).issues[0]?.path).toBe('type');
    const pet = await validPet();
    const error = await refusal({ type: 'pet.created', aggregateId: pet.id, data: 'DROP TABLE pets' });
    expect(error.issues[0]?.path).toBe('data');
  });

  test('publishPetEvent with an event type of another aggregate', async () => {
    const pet = await validPet();
    const { error } = await failingTransaction((tx) =>
      outbox.publishPetEvent(tx, { petId: pet.id, eventType: 'registered', data: { pet } } as never),
    );
    expect((error as InvalidOutboxEventError).issues[0]).toMatchObject({
      path: 'type',
      message: expect.stringContaining('"pet.registered"'),
    });
  });

  test('the Prisma client itself instead of the transaction client', async () => {
    const pet = await validPet();
    const before = await eventsOf(pet.id);
    await expect(
      outbox.publishPetEvent(outbox.prisma as never, { petId: pet.id, eventType: 'created', data: { pet } }),
    ).rejects.toThrow(/not the Prisma client/);
    expect(await eventsOf(pet.id)).toEqual(before);
  });
});

describe('status() and metrics()', () => {
  test('count what the transactions left pending, with no relay in this process', async () => {
    const pending = await outbox.prisma.outboxEvent.count({ where: { status: 'pending' } });
    expect(pending).toBeGreaterThan(0);
    // The sampler reads again soon after a commit (its notification), not on every call.
    const metrics = await waitFor(
      async () => {
        const current = await outbox.metrics();
        return current.pendingEvents === pending ? current : null;
      },
      { what: `metrics() to count ${pending} pending` },
    );
    expect(metrics).toMatchObject({ failedEvents: 0, running: false });
    expect(outbox.status()).toMatchObject({ running: false, kafkaStatus: expect.any(String) });
  });
});

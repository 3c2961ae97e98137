import { describe, expect, test } from 'vitest';
import { PetCreated } from '../../src/modules/pets/pet.events.ts';
import {
  InvalidOutboxEventError,
  type OutboxEventInput,
  toOutboxRow,
} from '../../src/outbox-service/outbox-event.ts';

const pet = PetCreated.example.pet;

function issuesOf(event: unknown) {
  try {
    toOutboxRow(event as OutboxEventInput);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOutboxEventError);
    return (error as InvalidOutboxEventError).issues;
  }
  throw new Error('the event was accepted');
}

describe('toOutboxRow: an event checked against the contract', () => {
  test("a valid event becomes the outbox row, its payload led by the contract's schemaVersion", () => {
    const row = toOutboxRow({
      type: 'pet.created',
      aggregateId: pet.id,
      data: { pet },
      correlationId: 'c-1',
    });
    expect(row).toEqual({
      aggregateType: 'pet',
      aggregateId: pet.id,
      eventType: 'pet.created',
      data: { schemaVersion: 1, pet },
      correlationId: 'c-1',
    });
    expect(Object.keys(row.data as object)[0]).toBe('schemaVersion');
  });

  test('a schemaVersion sent by the caller is the contract’s, not theirs', () => {
    const row = toOutboxRow({
      type: 'pet.created',
      aggregateId: pet.id,
      data: { pet, schemaVersion: 7 } as never,
    });
    expect(row.data).toMatchObject({ schemaVersion: 1 });
  });

  test('fields the contract does not know are not published', () => {
    const row = toOutboxRow({
      type: 'pet.created',
      aggregateId: pet.id,
      data: { pet, secret: 'x' } as never,
    });
    expect(row.data).not.toHaveProperty('secret');
  });

  test('every problem at once: unknown type, and ids of the wrong kind', () => {
    expect(issuesOf({ type: 'pet.created ', aggregateId: 42, correlationId: ['x'], data: {} })).toEqual([
      { path: 'type', message: expect.stringContaining('unknown event type "pet.created "') },
      { path: 'aggregateId', message: 'must be a string, got number' },
      { path: 'correlationId', message: 'must be a string, got object' },
    ]);
  });

  test('a prototype-polluting payload is refused like any other bad payload', () => {
    const data = JSON.parse('{"__proto__": {"admin": true}, "pet": null}');
    expect(issuesOf({ type: 'pet.created', aggregateId: pet.id, data })).toEqual([
      { path: 'data.pet', message: expect.any(String) },
    ]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

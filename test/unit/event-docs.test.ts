import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { eventContract } from '../../src/events/contract.ts';
import { payloadJsonSchema, renderEventDocs } from '../../src/events/event-docs.ts';
import { aggregateTopicNames } from '../../src/outbox/topics.ts';

describe('the event contract', () => {
  test('docs/events.md is what the code generates (run `npx tsx scripts/print-event-docs.ts` after changing an event)', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../docs/events.md', import.meta.url)), 'utf8');
    expect(committed).toBe(renderEventDocs(eventContract));
  });

  test("has the design document's event types, each once, named <aggregate>.<verb>", () => {
    const types = eventContract.map((event) => event.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toEqual(
      expect.arrayContaining([
        'pet.created',
        'order.created',
        'order.confirmed',
        'order.cancelled',
        'user.registered',
      ]),
    );
    for (const event of eventContract) {
      expect(event.type.startsWith(`${event.aggregateType}.`)).toBe(true);
      expect(Object.keys(aggregateTopicNames)).toContain(event.aggregateType);
    }
  });

  test.each(eventContract.map((event) => [event.type, event] as const))(
    '%s: its example is valid, carries schemaVersion, and its JSON Schema describes every field',
    (_type, event) => {
      const payload = event.schema.parse({ ...event.example, schemaVersion: event.version });
      expect(Object.keys(payload)[0]).toBe('schemaVersion');
      const schema = payloadJsonSchema(event) as { properties: Record<string, unknown>; required: string[] };
      expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(payload).sort());
      expect(schema.required.sort()).toEqual(Object.keys(payload).sort());
    },
  );

  test('a payload that breaks its schema is refused (money must be a string, never a number)', () => {
    const [petCreated] = eventContract;
    const example = petCreated?.example as { pet: Record<string, unknown> };
    const broken = { schemaVersion: 1, pet: { ...example.pet, price: 1200 } };
    expect(petCreated?.schema.safeParse(broken).success).toBe(false);
  });
});

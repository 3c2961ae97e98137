import { z } from 'zod';
import type { AggregateType } from '../outbox/topics.ts';

/**
 * One event type at one version: the payload schema is written once, here, and is both what
 * `recordEvent` parses every payload with before it reaches the outbox and what
 * docs/events.md is generated from, so the documented contract is the enforced one.
 */
export type EventDefinition<
  Fields extends z.ZodRawShape = z.ZodRawShape,
  Type extends string = string,
  Aggregate extends AggregateType = AggregateType,
> = {
  /** `<aggregate>.<verb>`: the outbox row's `event_type` and the message's `event_type` header. */
  readonly type: Type;
  readonly aggregateType: Aggregate;
  /** Bumped only for a breaking change; the payload carries it as `schemaVersion`. */
  readonly version: number;
  readonly description: string;
  /** When it is emitted, for the documentation. */
  readonly emittedBy: string;
  /** The payload without `schemaVersion`, which `recordEvent` adds. */
  readonly fields: z.ZodObject<Fields>;
  /** The whole payload as published: `{ schemaVersion, ...fields }`. */
  readonly schema: z.ZodObject<Fields & { schemaVersion: z.ZodLiteral<number> }>;
  /** A valid payload (without `schemaVersion`), shown in the documentation and checked by a test. */
  readonly example: z.input<z.ZodObject<Fields>>;
};

export type EventPayload<Definition extends EventDefinition> = z.input<Definition['fields']>;

const EVENT_TYPE_PATTERN = /^[a-z]+\.[a-z_]+$/;

export function defineEvent<
  const Type extends string,
  Aggregate extends AggregateType,
  Fields extends z.ZodRawShape,
>(definition: {
  type: Type;
  aggregateType: Aggregate;
  version: number;
  description: string;
  emittedBy: string;
  fields: Fields;
  example: z.input<z.ZodObject<Fields>>;
}): EventDefinition<Fields, Type, Aggregate> {
  // A misnamed event is a programming error; failing at import time keeps it out of every build.
  if (
    !EVENT_TYPE_PATTERN.test(definition.type) ||
    !definition.type.startsWith(`${definition.aggregateType}.`)
  ) {
    throw new Error(`event type ${definition.type} must be "${definition.aggregateType}.<verb>"`);
  }
  const fields = z.object(definition.fields);
  // schemaVersion first, so it leads every published JSON document.
  const schema = z.object({
    schemaVersion: z
      .literal(definition.version)
      .describe('The payload schema version; a breaking change to the payload gets a new version.'),
    ...definition.fields,
  }) as unknown as z.ZodObject<Fields & { schemaVersion: z.ZodLiteral<number> }>;
  return Object.freeze({ ...definition, fields, schema });
}

import type { z } from 'zod';
import { eventContract } from '../events/contract.ts';
import type { NewOutboxEvent } from '../outbox/enqueue.ts';

/**
 * The events a library user can publish, typed from the event contract (src/events/contract.ts):
 * adding an event type there adds it here, with its payload type.
 */
type ContractEvent = (typeof eventContract)[number];

/** Every event type of the contract, e.g. `pet.created`. */
export type OutboxEventType = ContractEvent['type'];

type DefinitionOf<Type extends OutboxEventType> = Extract<ContractEvent, { type: Type }>;

/** The payload of one event type as the caller writes it (`schemaVersion` is added). */
export type OutboxEventPayload<Type extends OutboxEventType> = z.input<DefinitionOf<Type>['fields']>;

/** One event for `publishEvent`: its type, its aggregate and its payload, checked against the contract. */
export type OutboxEventInput<Type extends OutboxEventType = OutboxEventType> = {
  [T in Type]: {
    type: T;
    /** The pet, order or user id: the Kafka message key, and the payload's own id. */
    aggregateId: string;
    data: OutboxEventPayload<T>;
    correlationId?: string | null;
  };
}[Type];

type VerbOf<Aggregate extends string, Type> = Type extends `${Aggregate}.${infer Verb}` ? Verb : never;

/** `created`, `updated`, `price_changed`, `status_changed`. */
export type PetEventVerb = VerbOf<'pet', OutboxEventType>;
/** `created`, `confirmed`, `delivered`, `cancelled`. */
export type OrderEventVerb = VerbOf<'order', OutboxEventType>;
/** `registered`. */
export type UserEventVerb = VerbOf<'user', OutboxEventType>;

/** The design document's `publish_pet_event(session, pet_id, event_type, pet_data, correlation_id)`. */
export type PetEventInput = {
  [Verb in PetEventVerb]: {
    petId: string;
    eventType: Verb;
    data: OutboxEventPayload<`pet.${Verb}`>;
    correlationId?: string | null;
  };
}[PetEventVerb];

export type OrderEventInput = {
  [Verb in OrderEventVerb]: {
    orderId: string;
    eventType: Verb;
    data: OutboxEventPayload<`order.${Verb}`>;
    correlationId?: string | null;
  };
}[OrderEventVerb];

export type UserEventInput = {
  [Verb in UserEventVerb]: {
    userId: string;
    eventType: Verb;
    data: OutboxEventPayload<`user.${Verb}`>;
    correlationId?: string | null;
  };
}[UserEventVerb];

export type OutboxEventIssue = { path: string; message: string };

/**
 * An event the contract refuses: an unknown type, a missing or over-long id, a payload that does not
 * match its schema. Nothing was written; every problem is listed in `issues`, each with its path.
 */
export class InvalidOutboxEventError extends Error {
  constructor(readonly issues: readonly OutboxEventIssue[]) {
    super(
      `invalid outbox event: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')}`,
    );
    this.name = 'InvalidOutboxEventError';
  }
}

/** The width of `outbox_events.aggregate_id` and `correlation_id` (VARCHAR(255)). */
const MAX_ID_LENGTH = 255;
const KNOWN_TYPES: readonly string[] = eventContract.map((definition) => definition.type);

function checkId(value: unknown, path: string, { optional }: { optional: boolean }): OutboxEventIssue | null {
  if (value === undefined || value === null) {
    return optional ? null : { path, message: 'is required' };
  }
  if (typeof value !== 'string') return { path, message: `must be a string, got ${typeof value}` };
  if (value.trim() === '') return { path, message: 'must not be empty' };
  if (value.length > MAX_ID_LENGTH) return { path, message: `must be at most ${MAX_ID_LENGTH} characters` };
  return null;
}

/**
 * Checks an event against the contract and returns the row to enqueue (payload with its
 * `schemaVersion`), or throws InvalidOutboxEventError listing every problem. Its input is typed, but
 * it trusts none of it: JavaScript callers, `as any` and JSON from elsewhere reach it too.
 */
export function toOutboxRow(input: OutboxEventInput): NewOutboxEvent {
  const candidate: Partial<Record<keyof OutboxEventInput, unknown>> =
    typeof input === 'object' && input !== null ? input : {};
  const type = candidate.type;
  const definition = eventContract.find((entry) => entry.type === type);
  const issues: OutboxEventIssue[] = [];
  if (!definition) {
    issues.push({
      path: 'type',
      message: `unknown event type ${JSON.stringify(type)}; the contract has ${KNOWN_TYPES.join(', ')}`,
    });
  }
  const idIssue = checkId(candidate.aggregateId, 'aggregateId', { optional: false });
  if (idIssue) issues.push(idIssue);
  const correlationIssue = checkId(candidate.correlationId, 'correlationId', { optional: true });
  if (correlationIssue) issues.push(correlationIssue);
  if (!definition) throw new InvalidOutboxEventError(issues);

  const parsed = definition.schema.safeParse(
    typeof candidate.data === 'object' && candidate.data !== null
      ? { ...candidate.data, schemaVersion: definition.version }
      : candidate.data,
  );
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ path: ['data', ...issue.path.map(String)].join('.'), message: issue.message });
    }
  } else {
    // Every payload carries its aggregate's whole state; its id is the aggregate id (the message key),
    // so an event filed under one pet while describing another is refused.
    const subject = (parsed.data as Record<string, unknown>)[definition.aggregateType] as
      | { id?: unknown }
      | undefined;
    if (!idIssue && subject?.id !== undefined && subject.id !== candidate.aggregateId) {
      issues.push({
        path: `data.${definition.aggregateType}.id`,
        message: `must equal the aggregate id ${JSON.stringify(candidate.aggregateId)}`,
      });
    }
  }
  if (issues.length > 0 || !parsed.success) throw new InvalidOutboxEventError(issues);
  return {
    aggregateType: definition.aggregateType,
    aggregateId: candidate.aggregateId as string,
    eventType: definition.type,
    data: parsed.data,
    correlationId: (candidate.correlationId as string | null | undefined) ?? null,
  };
}

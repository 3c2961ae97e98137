import type { z } from 'zod';
import {
  type EnqueuedEvent,
  enqueueOutboxEvent,
  type NewOutboxEvent,
  type TransactionClient,
} from '../outbox/enqueue.ts';
import type { EventDefinition } from './define-event.ts';

/** What every business transaction needs to know to write its events. */
export type EventContext = {
  correlationId: string | null;
  topicPrefix: string;
};

/** A payload that breaks its own published schema: a bug, never written, so the transaction rolls back. */
export class EventContractError extends Error {
  constructor(
    readonly eventType: string,
    readonly zodError: z.ZodError,
  ) {
    super(`event ${eventType} does not match its schema: ${zodError.message}`);
    this.name = 'EventContractError';
  }
}

/**
 * The outbox row of one event of `definition`: the payload parsed with the event's schema first, so
 * what consumers receive is exactly what docs/events.md promises. A payload that breaks it throws
 * EventContractError.
 */
export function contractedEvent<Fields extends z.ZodRawShape>(
  definition: EventDefinition<Fields>,
  aggregateId: string,
  payload: z.input<z.ZodObject<Fields>>,
  context: EventContext,
): NewOutboxEvent {
  const parsed = definition.schema.safeParse({ ...payload, schemaVersion: definition.version });
  if (!parsed.success) throw new EventContractError(definition.type, parsed.error);
  return {
    aggregateType: definition.aggregateType,
    aggregateId,
    eventType: definition.type,
    data: parsed.data,
    correlationId: context.correlationId,
  };
}

/**
 * Writes one event of `definition` to the outbox inside `tx`, the business transaction whose change it
 * announces, once its payload has passed the contract (contractedEvent); the per-aggregate sequence
 * number is assigned by enqueueOutboxEvent.
 */
export async function recordEvent<Fields extends z.ZodRawShape>(
  tx: TransactionClient,
  definition: EventDefinition<Fields>,
  aggregateId: string,
  payload: z.input<z.ZodObject<Fields>>,
  context: EventContext,
): Promise<EnqueuedEvent> {
  return enqueueOutboxEvent(tx, contractedEvent(definition, aggregateId, payload, context), {
    topicPrefix: context.topicPrefix,
  });
}

/** The event context of a GraphQL request: its correlation id and the service's topic prefix. */
export function eventContextOf(request: {
  correlationId: string;
  app: { topicPrefix: string };
}): EventContext {
  return { correlationId: request.correlationId, topicPrefix: request.app.topicPrefix };
}

import type { z } from 'zod';
import { type EnqueuedEvent, enqueueOutboxEvent, type TransactionClient } from '../outbox/enqueue.ts';
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
 * Writes one event of `definition` to the outbox inside `tx`, the business transaction whose change it
 * announces. The payload is parsed with the event's schema first, so what consumers receive is exactly
 * what docs/events.md promises; the per-aggregate sequence number is assigned by enqueueOutboxEvent.
 */
export async function recordEvent<Fields extends z.ZodRawShape>(
  tx: TransactionClient,
  definition: EventDefinition<Fields>,
  aggregateId: string,
  payload: z.input<z.ZodObject<Fields>>,
  context: EventContext,
): Promise<EnqueuedEvent> {
  const parsed = definition.schema.safeParse({ ...payload, schemaVersion: definition.version });
  if (!parsed.success) throw new EventContractError(definition.type, parsed.error);
  return enqueueOutboxEvent(
    tx,
    {
      aggregateType: definition.aggregateType,
      aggregateId,
      eventType: definition.type,
      data: parsed.data,
      correlationId: context.correlationId,
    },
    { topicPrefix: context.topicPrefix },
  );
}

/** The event context of a GraphQL request: its correlation id and the service's topic prefix. */
export function eventContextOf(request: {
  correlationId: string;
  app: { topicPrefix: string };
}): EventContext {
  return { correlationId: request.correlationId, topicPrefix: request.app.topicPrefix };
}

import type { Prisma } from '../../generated/prisma/client.ts';
import { OutboxStatus } from '../../generated/prisma/enums.ts';
import { characterProblem } from '../../modules/shared/text.validation.ts';
import { withoutUserContact } from '../../modules/users/user-contact-redaction.ts';
import type { EnqueuedEvent } from '../../outbox/enqueue.ts';
import { builder } from '../builder.ts';
import { badUserInput } from '../errors.ts';

export const OutboxEventStatusEnum = builder.enumType(OutboxStatus, {
  name: 'OutboxEventStatus',
  description:
    'pending: waiting for the relay; published: on Kafka; failed: gave up after OUTBOX_MAX_RETRIES.',
});

/** A row of the outbox table, with the design document's columns and the relay's bookkeeping. */
export const OutboxEventRef = builder.prismaObject('OutboxEvent', {
  description:
    'An event in the transactional outbox: written with the business change, then published by the relay.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The event id (the `event_id` and `ce_id` Kafka headers).' }),
    aggregateType: t.exposeString('aggregateType'),
    aggregateId: t.exposeString('aggregateId'),
    eventType: t.exposeString('eventType', { description: 'e.g. `order.confirmed`; see docs/events.md.' }),
    aggregateSequence: t.exposeInt('aggregateSequence', {
      description:
        "1, 2, 3, ... within the aggregate, in commit order: a consumer's gap and reordering check.",
    }),
    data: t.field({
      type: 'JSON',
      description:
        "The payload, exactly as published as the Kafka message value (a user's e-mail and phone are null " +
        'unless the caller sends the admin credential).',
      resolve: (row, _args, ctx) =>
        withoutUserContact(row.aggregateType, JSON.parse(row.eventData) as unknown, ctx.caller.admin),
    }),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    topic: t.exposeString('topic'),
    status: t.expose('status', { type: OutboxEventStatusEnum }),
    isProcessed: t.exposeBoolean('isProcessed', {
      description: "The design document's flag: status = published.",
    }),
    retryCount: t.exposeInt('retryCount'),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    processedAt: t.expose('processedAt', { type: 'DateTime', nullable: true }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime' }),
    kafkaPartition: t.exposeInt('kafkaPartition', { nullable: true }),
    kafkaOffset: t.string({
      nullable: true,
      description: 'Kafka offset (a 64-bit integer, as a string).',
      resolve: (row) => (row.kafkaOffset === null ? null : String(row.kafkaOffset)),
    }),
  }),
});

/** The outbox rows a mutation wrote, in the order it wrote them (read back after the commit). */
export async function loadRecordedEvents(prisma: Prisma.TransactionClient, events: readonly EnqueuedEvent[]) {
  if (events.length === 0) return [];
  const rows = await prisma.outboxEvent.findMany({ where: { id: { in: events.map((event) => event.id) } } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return events.flatMap((event) => byId.get(event.id) ?? []);
}

builder.queryField('outboxEvents', (t) =>
  t.prismaConnection(
    {
      type: 'OutboxEvent',
      cursor: 'id',
      description:
        "What the outbox holds, newest first: filter by status, aggregate or event type to see any aggregate's events.",
      args: {
        status: t.arg({ type: OutboxEventStatusEnum, required: false }),
        aggregateType: t.arg.string({ required: false, description: 'pet, order or user.' }),
        aggregateId: t.arg.string({ required: false }),
        eventType: t.arg.string({ required: false }),
      },
      resolve: (query, _root, args, ctx) => {
        for (const field of ['aggregateType', 'aggregateId', 'eventType'] as const) {
          const problem = args[field] == null ? null : characterProblem(args[field]);
          if (problem) throw badUserInput(problem, [field]);
        }
        return ctx.app.prisma.outboxEvent.findMany({
          ...query,
          // Plain equality filters: a value that matches nothing simply returns an empty page.
          where: {
            ...(args.status ? { status: args.status } : {}),
            ...(args.aggregateType ? { aggregateType: args.aggregateType } : {}),
            ...(args.aggregateId ? { aggregateId: args.aggregateId } : {}),
            ...(args.eventType ? { eventType: args.eventType } : {}),
          },
          // One transaction's events share created_at (the transaction's start), so the sequence
          // and then the id break ties: newest first, deterministic, and stable for the cursor.
          orderBy: [{ createdAt: 'desc' }, { aggregateSequence: 'desc' }, { id: 'desc' }],
        });
      },
    },
    { name: 'OutboxEventConnection' },
    { name: 'OutboxEventEdge' },
  ),
);

import { builder } from '../../graphql/builder.ts';
import { badUserInput } from '../../graphql/errors.ts';
import type { OutboxStatus } from '../../outbox/outbox-status.ts';
import type { PublishedEvent } from '../../outbox/published-event.ts';

const OutboxMetrics = builder.objectRef<OutboxStatus>('OutboxMetrics').implement({
  description: "The relay's state and the outbox's counts (the design document's metrics endpoint).",
  fields: (t) => ({
    pendingEvents: t.exposeInt('pendingEvents', { description: 'Events waiting to be published.' }),
    failedEvents: t.exposeInt('failedEvents', {
      description: 'Events that exhausted OUTBOX_MAX_RETRIES (the dead-letter state).',
    }),
    processedToday: t.exposeInt('processedToday', { description: 'Events published since midnight (UTC).' }),
    running: t.exposeBoolean('running', {
      description: 'Whether this process runs a relay that is started.',
    }),
    kafkaConnected: t.exposeBoolean('kafkaConnected'),
    serviceStatus: t.exposeString('serviceStatus', { description: 'running, degraded or stopped.' }),
    kafkaStatus: t.exposeString('kafkaStatus', { description: 'connected, disconnected or unknown.' }),
    circuitState: t.exposeString('circuitState', { description: 'closed, open, half-open or unknown.' }),
    paused: t.exposeBoolean('paused'),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
  }),
});

const PublishedEventRef = builder.objectRef<PublishedEvent>('PublishedEvent').implement({
  description: 'An event that landed in Kafka.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: "The event's place in the order of publication; pass it as `after` to resume.",
    }),
    eventId: t.exposeID('eventId'),
    aggregateType: t.exposeString('aggregateType'),
    aggregateId: t.exposeString('aggregateId'),
    aggregateSequence: t.exposeInt('aggregateSequence'),
    eventType: t.exposeString('eventType'),
    data: t.expose('data', { type: 'JSON' }),
    correlationId: t.exposeString('correlationId', { nullable: true }),
    topic: t.exposeString('topic'),
    partition: t.exposeInt('partition'),
    offset: t.exposeString('offset', { description: 'Kafka offset (a 64-bit integer, as a string).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    publishedAt: t.expose('publishedAt', { type: 'DateTime' }),
  }),
});

builder.queryField('outboxMetrics', (t) =>
  t.field({
    type: OutboxMetrics,
    resolve: (_root, _args, ctx) => ctx.app.outboxStatus.read(),
  }),
);

const CURSOR_PATTERN = /^\d{1,19}$/;

builder.subscriptionField('eventPublished', (t) =>
  t.field({
    type: PublishedEventRef,
    description:
      'Every event published to Kafka, by any relay. With `after`, first the events published since that cursor.',
    args: {
      after: t.arg.string({ required: false, description: 'The `cursor` of the last event you saw.' }),
      aggregateType: t.arg.string({ required: false }),
      aggregateId: t.arg.string({ required: false }),
      eventType: t.arg.string({ required: false }),
      topic: t.arg.string({ required: false }),
    },
    subscribe: (_root, args, ctx) => {
      if (args.after != null && !CURSOR_PATTERN.test(args.after)) {
        throw badUserInput('`after` must be the cursor of an earlier event (digits)', ['after']);
      }
      return ctx.app.publishedFeed.subscribe(args, args.after);
    },
    resolve: (event) => event,
  }),
);

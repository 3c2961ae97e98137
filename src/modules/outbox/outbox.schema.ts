import { builder } from '../../graphql/builder.ts';
import { badUserInput } from '../../graphql/errors.ts';
import type { PublishedEvent } from '../../outbox/feed/published-event.ts';
import type { OutboxStatus, TopicCounts } from '../../outbox/status/outbox-status.ts';
import { characterProblem } from '../text.validation.ts';
import { withoutUserContact } from '../users/user-contact-redaction.ts';
import { assertCursorRetained, parseCursor } from './cursor-retention.ts';

const OutboxTopicCounts = builder.objectRef<TopicCounts>('OutboxTopicCounts').implement({
  description: "One topic's share of the outbox.",
  fields: (t) => ({
    topic: t.exposeString('topic'),
    pending: t.exposeInt('pending', { description: 'Events of this topic waiting to be published.' }),
    failed: t.exposeInt('failed', { description: 'Events of this topic in the dead-letter state.' }),
    processedToday: t.exposeInt('processedToday', { description: 'Events published since midnight (UTC).' }),
  }),
});

const OutboxMetrics = builder.objectRef<OutboxStatus>('OutboxMetrics').implement({
  description:
    "The relay's state and the outbox's numbers (the design document's metrics endpoint). The numbers are " +
    'the Prometheus gauges of /metrics, read from the database every OUTBOX_METRICS_INTERVAL and soon after ' +
    'each change; `sampledAt` says when.',
  fields: (t) => ({
    pendingEvents: t.exposeInt('pendingEvents', { description: 'Events waiting to be published.' }),
    failedEvents: t.exposeInt('failedEvents', {
      description: 'Events that exhausted OUTBOX_MAX_RETRIES (the dead-letter state).',
    }),
    processedToday: t.exposeInt('processedToday', { description: 'Events published since midnight (UTC).' }),
    running: t.exposeBoolean('running', {
      description: 'Whether this process runs a relay that is started.',
    }),
    kafkaConnected: t.exposeBoolean('kafkaConnected', {
      description: "This process's relay producer is connected (without one here: every live relay's is).",
    }),
    serviceStatus: t.exposeString('serviceStatus', { description: 'running, degraded or stopped.' }),
    kafkaStatus: t.exposeString('kafkaStatus', { description: 'connected, disconnected or unknown.' }),
    circuitState: t.exposeString('circuitState', {
      description:
        "closed, open, half-open or unknown: this process's relay circuit (without one here: the worst of the live relays').",
    }),
    paused: t.exposeBoolean('paused', { description: 'Publishing is paused, here or for every relay.' }),
    processingRate: t.exposeFloat('processingRate', {
      description: 'Events published per second over the last minute, by every relay.',
    }),
    retryRate: t.exposeFloat('retryRate', {
      nullable: true,
      description:
        'Share (0 to 1) of the recently published events that needed at least one retry; null without recent publications.',
    }),
    oldestPendingAgeSeconds: t.exposeFloat('oldestPendingAgeSeconds', {
      nullable: true,
      description: 'How long the oldest pending event has been waiting; null when nothing is pending.',
    }),
    commitToPublishP50Seconds: t.exposeFloat('commitToPublishP50Seconds', {
      nullable: true,
      description: 'Median time from writing an event to its publication, over the recent window.',
    }),
    commitToPublishP99Seconds: t.exposeFloat('commitToPublishP99Seconds', {
      nullable: true,
      description: '99th percentile of the same.',
    }),
    recentWindowSize: t.exposeInt('recentWindowSize', {
      description: 'Publications in the recent window (the last 1000 of the last five minutes).',
    }),
    parkedAggregates: t.exposeInt('parkedAggregates', {
      description: 'Aggregates blocked behind a dead-lettered event until it is replayed.',
    }),
    parkedEvents: t.exposeInt('parkedEvents', {
      description: 'Pending events waiting behind a dead-lettered event of their aggregate.',
    }),
    relayInstancesAlive: t.exposeInt('relayInstancesAlive', {
      nullable: true,
      description:
        'Relay instances in any process with a recent heartbeat; null when the database keeps none.',
    }),
    topics: t.field({
      type: [OutboxTopicCounts],
      description: 'Pending, failed and processed-today counts per topic.',
      resolve: (status) => status.topics,
    }),
    sampledAt: t.expose('sampledAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the numbers were read from the database; null until the first reading.',
    }),
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
    data: t.field({
      type: 'JSON',
      description:
        "The payload (a user's e-mail and phone are null unless the caller sends the admin credential).",
      resolve: (event, _args, ctx) => withoutUserContact(event.aggregateType, event.data, ctx.caller.admin),
    }),
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

builder.subscriptionField('outboxMetricsUpdated', (t) =>
  t.field({
    type: OutboxMetrics,
    description:
      'outboxMetrics now, then after every reading of the database (every OUTBOX_METRICS_INTERVAL and soon ' +
      'after changes) and at once when a relay circuit opens or closes or the relay is paused or resumed.',
    subscribe: (_root, _args, ctx) => ctx.app.outboxStatus.updates(),
    resolve: (status) => status,
  }),
);

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
    subscribe: async (_root, args, ctx) => {
      for (const field of ['aggregateType', 'aggregateId', 'eventType', 'topic'] as const) {
        const value = args[field];
        if (value == null) continue;
        const problem = characterProblem(value) ?? (value.length > 255 ? 'at most 255 characters' : null);
        if (problem) throw badUserInput(problem, [field]);
      }
      if (args.after != null) await assertCursorRetained(ctx.app.prisma, parseCursor(args.after));
      return ctx.app.publishedFeed.subscribe(args, args.after);
    },
    resolve: (event) => event,
  }),
);

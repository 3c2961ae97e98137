import { GraphQLError } from 'graphql';
import { builder } from '../../graphql/builder.ts';
import { badUserInput } from '../../graphql/errors.ts';
import type { RelayControl } from '../../outbox/admin/relay-control.ts';
import type { ReplayOutcome } from '../../outbox/admin/replay-failed-events.ts';
import { characterProblem } from '../text.validation.ts';

/**
 * The operator's mutations over every relay instance: pause/resume and dead-letter replay.
 * Each needs the admin credential (`Authorization: Bearer <ADMIN_TOKEN>`); without ADMIN_TOKEN
 * they are disabled. The scope check runs before the resolver, so a refused call touches nothing.
 */
const ADMIN_ONLY = 'Needs the admin credential (Authorization: Bearer <ADMIN_TOKEN>).';
const adminOnly = { admin: true } as const;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RelayControlRef = builder.objectRef<RelayControl>('RelayControl').implement({
  description: 'The pause switch shared by every relay instance.',
  fields: (t) => ({
    paused: t.exposeBoolean('paused', {
      description: 'While true no relay instance claims new events; batches in flight finish.',
    }),
    pausedAt: t.expose('pausedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was last paused.',
    }),
    pausedBy: t.exposeString('pausedBy', {
      nullable: true,
      description: 'Who last paused it: the admin credential they used.',
    }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it was last paused.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ReplayResultRef = builder.objectRef<ReplayOutcome>('ReplayResult').implement({
  description: 'What a replay of failed (dead-lettered) events did.',
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun', { description: 'True when the events were only counted.' }),
    matched: t.exposeInt('matched', { description: 'Failed events that matched.' }),
    replayed: t.exposeInt('replayed', {
      description: 'Events put back to pending with a full retry budget (0 on a dry run).',
    }),
  }),
});

const FailedEventFilter = builder.inputType('FailedEventFilter', {
  description: 'Which failed events to replay; every criterion given must match, none given matches all.',
  fields: (t) => ({
    eventType: t.string({ description: 'e.g. `pet.created`' }),
    aggregateType: t.string({ description: 'e.g. `pet`' }),
    aggregateId: t.string(),
    errorContains: t.string({ description: 'A case-insensitive part of the last error message.' }),
    failedBefore: t.field({ type: 'DateTime', description: 'Events that became failed before this time.' }),
    failedAfter: t.field({
      type: 'DateTime',
      description: 'Events that became failed at or after this time.',
    }),
  }),
});

/** Who asked: the credential's principal, never a name the caller typed. */
function requester(ctx: { caller: { principal: string | null }; correlationId: string }): string {
  return `${ctx.caller.principal ?? 'unknown'} (correlation id ${ctx.correlationId})`.slice(0, 255);
}

function checkLength(value: string | null | undefined, max: number, field: string): void {
  if (value == null) return;
  const problem = characterProblem(value, { multiline: true });
  if (problem) throw badUserInput(problem, [field]);
  if (value.length > max) throw badUserInput(`at most ${max} characters`, [field]);
}

builder.queryField('relayControl', (t) =>
  t.field({
    type: RelayControlRef,
    description: `Whether the relays are paused (all instances share one switch). ${ADMIN_ONLY}`,
    authScopes: adminOnly,
    resolve: (_root, _args, ctx) => ctx.app.outboxAdmin.relayControl(),
  }),
);

builder.mutationField('pauseRelay', (t) =>
  t.field({
    type: RelayControlRef,
    description: `Pauses every relay instance, in every process, until resumeRelay. ${ADMIN_ONLY}`,
    authScopes: adminOnly,
    args: { reason: t.arg.string({ required: false }) },
    resolve: async (_root, args, ctx) => {
      checkLength(args.reason, 1000, 'reason');
      const control = await ctx.app.outboxAdmin.pauseRelay(requester(ctx), args.reason?.trim() || null);
      ctx.logger.warn({ pausedBy: control.pausedBy, reason: control.reason }, 'relay paused through the API');
      return control;
    },
  }),
);

builder.mutationField('resumeRelay', (t) =>
  t.field({
    type: RelayControlRef,
    description: `Resumes every relay instance. ${ADMIN_ONLY}`,
    authScopes: adminOnly,
    resolve: async (_root, _args, ctx) => {
      const control = await ctx.app.outboxAdmin.resumeRelay(requester(ctx));
      ctx.logger.warn({ resumedBy: requester(ctx) }, 'relay resumed through the API');
      return control;
    },
  }),
);

builder.mutationField('replayFailedEvent', (t) =>
  t.field({
    type: ReplayResultRef,
    description:
      'Puts one failed event back to pending (retry count 0, due now); it is published before the events ' +
      `parked behind it, in order. ${ADMIN_ONLY}`,
    authScopes: adminOnly,
    args: { eventId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const eventId = String(args.eventId);
      if (!UUID_PATTERN.test(eventId))
        throw badUserInput('`eventId` must be an event id (a UUID)', ['eventId']);
      const outcome = await ctx.app.outboxAdmin.replayEvent(eventId);
      if (outcome.matched === 0) {
        throw new GraphQLError(`no failed event has the id ${eventId}`, {
          extensions: { code: 'NOT_FOUND', field: ['eventId'] },
        });
      }
      ctx.logger.warn({ eventId }, 'failed event replayed through the API');
      return outcome;
    },
  }),
);

builder.mutationField('replayFailedEventsOfAggregate', (t) =>
  t.field({
    type: ReplayResultRef,
    description: `Puts every failed event of one aggregate back to pending; they go out in order. ${ADMIN_ONLY}`,
    authScopes: adminOnly,
    args: {
      aggregateType: t.arg.string({ required: true }),
      aggregateId: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      checkLength(args.aggregateType, 100, 'aggregateType');
      checkLength(args.aggregateId, 255, 'aggregateId');
      const outcome = await ctx.app.outboxAdmin.replayAggregate(args);
      ctx.logger.warn(
        { ...args, replayed: outcome.replayed },
        'failed events of an aggregate replayed through the API',
      );
      return outcome;
    },
  }),
);

builder.mutationField('replayFailedEvents', (t) =>
  t.field({
    type: ReplayResultRef,
    description:
      'Puts every failed event matching the filter back to pending, or with `dryRun: true` only counts them. ' +
      `Each aggregate's events go out in order. ${ADMIN_ONLY}`,
    authScopes: adminOnly,
    args: {
      filter: t.arg({ type: FailedEventFilter, required: false }),
      dryRun: t.arg.boolean({ required: true, defaultValue: false }),
    },
    resolve: async (_root, args, ctx) => {
      const filter = args.filter ?? {};
      checkLength(filter.errorContains, 1000, 'filter.errorContains');
      checkLength(filter.eventType, 100, 'filter.eventType');
      checkLength(filter.aggregateType, 100, 'filter.aggregateType');
      checkLength(filter.aggregateId, 255, 'filter.aggregateId');
      const outcome = await ctx.app.outboxAdmin.replayMatching(filter, { dryRun: args.dryRun });
      if (!args.dryRun) {
        ctx.logger.warn({ filter, replayed: outcome.replayed }, 'failed events replayed through the API');
      }
      return outcome;
    },
  }),
);

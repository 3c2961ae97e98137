import { ValidationError } from '../../domain/errors.ts';
import { eventContextOf } from '../../events/record-event.ts';
import { AlreadyRegisteredError, DuplicateEmailError } from '../../modules/users/user.errors.ts';
import { registerUser, type UserChange } from '../../modules/users/user.service.ts';
import { builder } from '../builder.ts';
import { ErrorInterface } from '../errors.ts';
import { loadRecordedEvents, OutboxEventRef } from './outbox-events.ts';

/**
 * Contact details are personal data: only an admin reads them. Everyone else gets null rather than
 * an error, so a client can still ask for them in a registerUser payload without failing.
 */
const ADMIN_ONLY_CONTACT = 'Null unless the caller sends the admin credential.';
const adminOnlyContact = {
  nullable: true,
  authScopes: { admin: true },
  unauthorizedResolver: () => null,
} as const;

const UserRef = builder.prismaObject('User', {
  description: 'A registered user.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email', {
      ...adminOnlyContact,
      description: `Lower-case. ${ADMIN_ONLY_CONTACT}`,
    }),
    phone: t.exposeString('phone', {
      ...adminOnlyContact,
      description: `E.164, e.g. "+1234567890". ${ADMIN_ONLY_CONTACT}`,
    }),
    registeredAt: t.expose('registeredAt', { type: 'DateTime' }),
  }),
});

builder.objectType(DuplicateEmailError, {
  name: 'DuplicateEmailError',
  description: 'Another user registered this e-mail address (compared case-insensitively).',
  interfaces: [ErrorInterface],
  fields: (t) => ({ email: t.exposeString('email') }),
});

builder.objectType(AlreadyRegisteredError, {
  name: 'AlreadyRegisteredError',
  description: 'A user with this id is already registered.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ userId: t.exposeID('userId') }),
});

const UserPayload = builder.objectRef<UserChange>('UserPayload').implement({
  description: 'The registered user, and the outbox event the same transaction wrote.',
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (change) => change.user }),
    events: t.field({
      type: [OutboxEventRef],
      resolve: (change, _args, ctx) => loadRecordedEvents(ctx.app.prisma, change.events),
    }),
  }),
});

const RegisterUserInput = builder.inputType('RegisterUserInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1 to 200 characters.' }),
    email: t.string({ required: true, description: 'Stored lower-case; unique regardless of case.' }),
    phone: t.string({
      required: true,
      description:
        'International (E.164), e.g. "+1234567890"; spaces, dashes, dots and brackets are dropped.',
    }),
  }),
});

builder.queryField('user', (t) =>
  t.prismaField({
    type: 'User',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      ctx.app.prisma.user.findUnique({ ...query, where: { id: String(args.id) } }),
  }),
);

builder.mutationField('registerUser', (t) =>
  t.field({
    type: UserPayload,
    description:
      "Registers user `id` (the design document's `users/{id}/register`) and writes `user.registered`.",
    errors: {
      types: [ValidationError, AlreadyRegisteredError, DuplicateEmailError],
      directResult: true,
      union: { name: 'RegisterUserResult' },
    },
    args: {
      id: t.arg.id({ required: true, description: '1 to 64 letters, digits, "_" or "-", e.g. "user_789".' }),
      input: t.arg({ type: RegisterUserInput, required: true }),
    },
    resolve: async (_root, { id, input }, ctx) => {
      const change = await registerUser(ctx.app.prisma, String(id), input, eventContextOf(ctx));
      ctx.logger.info({ userId: change.user.id }, 'user registered');
      return change;
    },
  }),
);

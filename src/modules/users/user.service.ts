import { z } from 'zod';
import { parseInput } from '../../domain/parse-input.ts';
import { type EventContext, recordEvent } from '../../events/record-event.ts';
import { Prisma, type PrismaClient, type User } from '../../generated/prisma/client.ts';
import type { EnqueuedEvent } from '../../outbox/enqueue.ts';
import { AlreadyRegisteredError, DuplicateEmailError } from './user.errors.ts';
import { UserRegistered, userSnapshot } from './user.events.ts';
import { RegisterUserRules, UserId } from './user.validation.ts';

export type UserChange = { user: User; events: EnqueuedEvent[] };

const RegisterUserArgs = z.object({ id: UserId, input: RegisterUserRules });

/**
 * Registers user `id` and writes `user.registered`, in one transaction. An id or e-mail address that is
 * taken is a typed error; the unique indexes are the final word, so a registration that loses a race
 * after passing the checks below is reported the same way instead of as a database error.
 */
export async function registerUser(
  prisma: PrismaClient,
  rawId: unknown,
  rawInput: unknown,
  context: EventContext,
): Promise<UserChange> {
  const { id, input } = parseInput(RegisterUserArgs, { id: rawId, input: rawInput }, []);
  try {
    return await prisma.$transaction(async (tx) => {
      if (await tx.user.findUnique({ where: { id }, select: { id: true } }))
        throw new AlreadyRegisteredError(id);
      if (await tx.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
        throw new DuplicateEmailError(input.email);
      }
      const user = await tx.user.create({ data: { id, ...input } });
      const event = await recordEvent(tx, UserRegistered, id, { user: userSnapshot(user) }, context);
      return { user, events: [event] };
    });
  } catch (error) {
    if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') throw error;
    if (await prisma.user.findUnique({ where: { id }, select: { id: true } }))
      throw new AlreadyRegisteredError(id);
    if (await prisma.user.findUnique({ where: { email: input.email }, select: { id: true } })) {
      throw new DuplicateEmailError(input.email);
    }
    throw error;
  }
}

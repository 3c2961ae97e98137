import { GraphQLError } from 'graphql';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { badUserInput } from '../../graphql/errors.ts';

/** published_seq is a PostgreSQL bigint. */
export const MAX_CURSOR = 9_223_372_036_854_775_807n;
const CURSOR_PATTERN = /^\d{1,19}$/;

/** The client's `after` as a cursor, or a BAD_USER_INPUT error saying why it cannot be one. */
export function parseCursor(after: string): bigint {
  if (!CURSOR_PATTERN.test(after)) {
    throw badUserInput('`after` must be the cursor of an earlier event (digits)', ['after']);
  }
  const cursor = BigInt(after);
  if (cursor > MAX_CURSOR) {
    throw badUserInput(`\`after\` must be at most ${MAX_CURSOR} (cursors are 64-bit)`, ['after']);
  }
  return cursor;
}

/**
 * Refuses a cursor whose successors retention has deleted: resuming from it would silently skip them.
 * Published events are numbered in order and retention deletes the oldest first, so events after the
 * cursor are gone when the oldest one left is more than one number past it. (A number lost to a
 * rolled-back mark can make this answer CURSOR_EXPIRED for a cursor just before the oldest event;
 * resubscribing without `after` is then the way on, as for any expired cursor.) When no published
 * event is left at all, a number handed out may belong to a mark not yet committed as well as to a
 * deleted event: that case is not refused, since refusing it would break every client of a fresh table.
 */
export async function assertCursorRetained(prisma: PrismaClient, cursor: bigint): Promise<void> {
  const [row] = await prisma.$queryRaw<{ oldest: bigint | null }[]>`
    SELECT min(published_seq) AS oldest FROM outbox_events`;
  if (row?.oldest == null || BigInt(row.oldest) <= cursor + 1n) return;
  throw new GraphQLError(
    `Events after cursor ${cursor} have been deleted by retention (OUTBOX_RETENTION_DAYS); ` +
      'subscribe without `after`, or from a newer cursor.',
    { extensions: { code: 'CURSOR_EXPIRED', field: ['after'] } },
  );
}

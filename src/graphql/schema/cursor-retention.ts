import { GraphQLError } from 'graphql';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import {
  fromCursor,
  isCursor,
  type PublicationPosition,
  toCursor,
} from '../../outbox/feed/read-published.ts';
import { badUserInput } from '../errors.ts';

/** published_seq and published_xid are PostgreSQL bigints. */
export const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** The client's `after` as a feed position, or a BAD_USER_INPUT error saying why it cannot be one. */
export function parseCursor(after: string): PublicationPosition {
  if (!/^\d+$/.test(after)) {
    throw badUserInput('`after` must be the cursor of an earlier event (digits)', ['after']);
  }
  if (!isCursor(after)) {
    throw badUserInput(
      `\`after\` is not a cursor this feed hands out: its numbers are 64-bit, at most ${MAX_BIGINT}`,
      ['after'],
    );
  }
  return fromCursor(after);
}

/**
 * Refuses a cursor whose successors retention has deleted: resuming from it would silently skip them.
 * Published events are numbered in order and retention deletes the oldest first, so events after the
 * cursor are gone when the oldest one left is more than one number past it. (A number lost to a
 * rolled-back mark can make this answer CURSOR_EXPIRED for a cursor just before the oldest event;
 * resubscribing without `after` is then the way on, as for any expired cursor.) When no published
 * event is left at all, a number handed out may belong to a mark not yet committed as well as to a
 * deleted event: that case is not refused, since refusing it would break every client of a fresh
 * table. The check reads the cursor's publication number, the part retention's order follows.
 *
 * "The oldest one left" is the first event in publication order, one probe of the (published_xid,
 * published_seq) index. Marks commit about in number order, so its number is the smallest one left,
 * or, where marks committed out of order at the retention cut, a larger one: the check then refuses a
 * cursor within those few batches that a smaller number would have let through, never the reverse.
 */
export async function assertCursorRetained(
  prisma: PrismaClient,
  position: PublicationPosition,
): Promise<void> {
  const cursor = BigInt(position.seq);
  const [row] = await prisma.$queryRaw<{ oldest: bigint | null }[]>`
    SELECT published_seq AS oldest FROM outbox_events WHERE published_xid IS NOT NULL
    ORDER BY published_xid, published_seq LIMIT 1`;
  if (row?.oldest == null || BigInt(row.oldest) <= cursor + 1n) return;
  throw new GraphQLError(
    `Events after cursor ${toCursor(position)} have been deleted by retention (OUTBOX_RETENTION_DAYS); ` +
      'subscribe without `after`, or from a newer cursor.',
    { extensions: { code: 'CURSOR_EXPIRED', field: ['after'] } },
  );
}

import type { PrismaClient } from '../src/generated/prisma/client.ts';
import { handleOnce } from '../src/inbox/handle-once.ts';

/** What the demo consumer needs from a Kafka message: the relay's `event_id` and `event_type` headers. */
export type DeliveredEvent = { eventId: string; eventType: string };

/**
 * The demo consumer's whole effect: one more `applied` for the event's type, at most once per event
 * id, however often Kafka delivers it. Returns false for a duplicate.
 */
export async function countEventOnce(
  prisma: PrismaClient,
  consumer: string,
  { eventId, eventType }: DeliveredEvent,
): Promise<boolean> {
  const outcome = await prisma.$transaction((tx) =>
    handleOnce(
      tx,
      consumer,
      eventId,
      (inboxTx) =>
        inboxTx.$executeRaw`
        INSERT INTO demo_event_counts (consumer, event_type, applied) VALUES (${consumer}, ${eventType}, 1)
        ON CONFLICT (consumer, event_type) DO UPDATE SET applied = demo_event_counts.applied + 1`,
    ),
  );
  return outcome.applied;
}

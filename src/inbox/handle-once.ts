import type { Prisma } from '../generated/prisma/client.ts';
import { type DeliveredEvent, type ReceivedMessage, readDeliveredEvent } from './read-delivered-event.ts';

/** The consumer's own transaction: the inbox row and the consumer's change commit together or not at all. */
export type InboxTransaction = Prisma.TransactionClient;

export type HandleOnceResult<T> = { applied: true; result: T } | { applied: false };

/**
 * The consumer half of exactly-once: the relay delivers every event at least once (a crash between
 * Kafka's acknowledgement and the outbox mark sends it again, with the same event id), so a
 * consumer records each event id it applies in `inbox_messages`, in the same transaction as the
 * change the event causes. A redelivered event finds its id there and `work` does not run again.
 *
 * The id is inserted first: two consumers racing on the same event serialize on that row, and
 * the second one sees the first's commit and skips. If `work` throws, the transaction rolls back,
 * the id with it, and the redelivery applies the event as if for the first time.
 *
 * ```ts
 * await prisma.$transaction((tx) => handleOnce(tx, 'price-view', eventId, (tx) => applyPriceChange(tx, data)));
 * ```
 */
export async function handleOnce<T>(
  tx: InboxTransaction,
  consumer: string,
  eventId: string,
  work: (tx: InboxTransaction) => Promise<T>,
): Promise<HandleOnceResult<T>> {
  const inserted = await tx.$executeRaw`
    INSERT INTO inbox_messages (consumer, event_id) VALUES (${consumer}, ${eventId})
    ON CONFLICT (consumer, event_id) DO NOTHING`;
  if (inserted === 0) return { applied: false };
  return { applied: true, result: await work(tx) };
}

/**
 * handleOnce for a Kafka message as the relay sent it, in any KAFKA_MESSAGE_FORMAT: the event id
 * is read from the message (readDeliveredEvent). A message that is no outbox event is not applied.
 */
export async function handleMessageOnce<T>(
  tx: InboxTransaction,
  consumer: string,
  message: ReceivedMessage,
  work: (tx: InboxTransaction, event: DeliveredEvent) => Promise<T>,
): Promise<HandleOnceResult<T> | { applied: false; notAnEvent: true }> {
  const event = readDeliveredEvent(message);
  if (!event) return { applied: false, notAnEvent: true };
  return handleOnce(tx, consumer, event.id, (inner) => work(inner, event));
}

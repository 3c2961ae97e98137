/** An event as it landed on Kafka, read back from the outbox row the relay marked. */
export type PublishedEvent = {
  /** The event's place in the global order of publication, (published_xid, published_seq) as digits; the resume cursor. */
  cursor: string;
  eventId: string;
  aggregateType: string;
  aggregateId: string;
  aggregateSequence: number;
  eventType: string;
  data: unknown;
  correlationId: string | null;
  topic: string;
  partition: number;
  offset: string;
  createdAt: Date;
  publishedAt: Date;
};

export type PublishedEventFilter = {
  aggregateType?: string | null;
  aggregateId?: string | null;
  eventType?: string | null;
  topic?: string | null;
};

export function matchesFilter(event: PublishedEvent, filter: PublishedEventFilter): boolean {
  return (
    (!filter.aggregateType || event.aggregateType === filter.aggregateType) &&
    (!filter.aggregateId || event.aggregateId === filter.aggregateId) &&
    (!filter.eventType || event.eventType === filter.eventType) &&
    (!filter.topic || event.topic === filter.topic)
  );
}

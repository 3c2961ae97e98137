/** An outbox row the relay holds a lease on, ready to publish. */
export type ClaimedEvent = {
  id: string;
  aggregateType: string;
  aggregateId: string;
  aggregateSequence: number;
  eventType: string;
  eventData: string;
  correlationId: string | null;
  topic: string;
  createdAt: Date;
  retryCount: number;
};

export type ClaimedEventRow = {
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_sequence: number;
  event_type: string;
  event_data: string;
  correlation_id: string | null;
  topic: string;
  created_at: Date;
  retry_count: number;
};

export function fromRow(row: ClaimedEventRow): ClaimedEvent {
  return {
    id: row.id,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    aggregateSequence: row.aggregate_sequence,
    eventType: row.event_type,
    eventData: row.event_data,
    correlationId: row.correlation_id,
    topic: row.topic,
    createdAt: row.created_at,
    retryCount: row.retry_count,
  };
}

/** Publication order: aggregate by aggregate, each in sequence order. */
export function byAggregateThenSequence(a: ClaimedEvent, b: ClaimedEvent): number {
  if (a.aggregateType !== b.aggregateType) return a.aggregateType < b.aggregateType ? -1 : 1;
  if (a.aggregateId !== b.aggregateId) return a.aggregateId < b.aggregateId ? -1 : 1;
  return a.aggregateSequence - b.aggregateSequence;
}

import type { IHeaders, Message } from 'kafkajs';
import type { ClaimedEvent } from './claimed-event.ts';

/**
 * The message contract on Kafka: key = aggregate id (one aggregate, one partition, one order),
 * value = the event's JSON data exactly as stored, and the metadata as headers, including
 * CloudEvents' binary-mode `ce_*` headers so CloudEvents SDKs can read the messages as they are.
 */
export function toKafkaMessage(event: ClaimedEvent, source: string): Message {
  const headers: IHeaders = {
    event_id: event.id,
    event_type: event.eventType,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    aggregate_sequence: String(event.aggregateSequence),
    'content-type': 'application/json',
    ce_id: event.id,
    ce_type: event.eventType,
    ce_source: source,
    ce_specversion: '1.0',
    ce_time: event.createdAt.toISOString(),
    ce_subject: `${event.aggregateType}/${event.aggregateId}`,
  };
  if (event.correlationId) headers.correlation_id = event.correlationId;
  return { key: event.aggregateId, value: event.eventData, headers };
}

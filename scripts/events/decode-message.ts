import { type ReceivedMessage, readDeliveredEvent } from '../../src/inbox/read-delivered-event.ts';

/**
 * One Kafka message of the product's topics → one record to print. Outbox events are read by the same
 * reader consumers use (src/inbox/read-delivered-event.ts), so every KAFKA_MESSAGE_FORMAT the relay writes
 * is understood in one place. Anything else on the topics (another producer's message, a damaged one) is
 * still shown, marked as not an outbox event, with its value as JSON when it is JSON and as text otherwise.
 */

export type RawKafkaMessage = ReceivedMessage & { topic: string; partition: number; offset: string };

export type EventRecord = {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The relay's layout (KAFKA_MESSAGE_FORMAT), or `unrecognised` for a message that is no outbox event. */
  format: 'structured' | 'binary' | 'compact' | 'unrecognised';
  eventId: string | null;
  eventType: string | null;
  aggregateType: string | null;
  aggregateId: string | null;
  aggregateSequence: number | null;
  correlationId: string | null;
  /** The event's data; for an unrecognised message its whole value (JSON when it parses, else text). */
  data: unknown;
};

function text(value: Buffer | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.toString('utf8');
}

function jsonOrText(raw: string | null): unknown {
  if (raw === null || raw === '') return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function decodeMessage(message: RawKafkaMessage): EventRecord {
  const position = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: text(message.key),
  };
  const event = readDeliveredEvent(message);
  if (!event) {
    return {
      ...position,
      format: 'unrecognised',
      eventId: null,
      eventType: null,
      aggregateType: null,
      aggregateId: null,
      aggregateSequence: null,
      correlationId: null,
      data: jsonOrText(text(message.value)),
    };
  }
  return {
    ...position,
    format: event.format,
    eventId: event.id,
    eventType: event.type,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    aggregateSequence: event.aggregateSequence,
    correlationId: event.correlationId,
    data: event.data ?? null,
  };
}

import type { IHeaders } from 'kafkajs';
import { z } from 'zod';

/** An outbox event as a consumer receives it, whatever KAFKA_MESSAGE_FORMAT the relay used. */
export type DeliveredEvent = {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  aggregateSequence: number;
  correlationId: string | null;
  /** The event's data, parsed (the JSON the business transaction stored). */
  data: unknown;
  format: 'structured' | 'binary' | 'compact';
};

/** What kafkajs hands a consumer (and what tests collect): key, value and headers as Buffers or text. */
export type ReceivedMessage = {
  key?: Buffer | string | null | undefined;
  value: Buffer | string | null | undefined;
  headers?: IHeaders | Record<string, string> | undefined;
};

const text = z.string().min(1).max(1000);
const sequence = z.coerce.number().int().positive();

/** CloudEvents structured mode, with the outbox's extension attributes (src/outbox/relay/kafka-message.ts). */
const StructuredEnvelope = z.object({
  specversion: z.literal('1.0'),
  id: text,
  type: text,
  aggregatetype: text,
  aggregateid: text,
  aggregatesequence: sequence,
  correlationid: text.optional(),
  data: z.unknown(),
});

const HeaderFields = z.object({
  event_id: text,
  event_type: text,
  aggregate_type: text,
  aggregate_sequence: sequence,
  correlation_id: text.optional(),
});

function headerText(headers: ReceivedMessage['headers'], name: string): string | undefined {
  const value = (headers as Record<string, unknown> | undefined)?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

function asText(value: Buffer | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : value;
}

function parseJson(value: string | null): unknown {
  if (value === null) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/**
 * Reads an outbox event from a Kafka message in any of the relay's formats: CloudEvents structured
 * (content-type `application/cloudevents+json`), binary (`ce_*` and `event_*` headers) or compact
 * (`event_*` headers only). Returns null for anything else: the topic may carry messages of other
 * producers, and a message is input like any other (sizes and types are checked, nothing trusted).
 */
export function readDeliveredEvent(message: ReceivedMessage): DeliveredEvent | null {
  const contentType = headerText(message.headers, 'content-type');
  const value = asText(message.value);
  if (contentType?.startsWith('application/cloudevents+json')) {
    const envelope = StructuredEnvelope.safeParse(parseJson(value));
    if (!envelope.success) return null;
    const ce = envelope.data;
    return {
      id: ce.id,
      type: ce.type,
      aggregateType: ce.aggregatetype,
      aggregateId: ce.aggregateid,
      aggregateSequence: ce.aggregatesequence,
      correlationId: ce.correlationid ?? null,
      data: ce.data,
      format: 'structured',
    };
  }
  const fields = HeaderFields.safeParse({
    event_id: headerText(message.headers, 'event_id'),
    event_type: headerText(message.headers, 'event_type'),
    aggregate_type: headerText(message.headers, 'aggregate_type'),
    aggregate_sequence: headerText(message.headers, 'aggregate_sequence'),
    correlation_id: headerText(message.headers, 'correlation_id'),
  });
  const aggregateId = headerText(message.headers, 'aggregate_id') ?? asText(message.key);
  if (!fields.success || !aggregateId) return null;
  return {
    id: fields.data.event_id,
    type: fields.data.event_type,
    aggregateType: fields.data.aggregate_type,
    aggregateId,
    aggregateSequence: fields.data.aggregate_sequence,
    correlationId: fields.data.correlation_id ?? null,
    data: parseJson(value),
    format: headerText(message.headers, 'ce_id') === undefined ? 'compact' : 'binary',
  };
}

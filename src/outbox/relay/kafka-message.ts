import type { IHeaders, Message } from 'kafkajs';
import type { ClaimedEvent } from './claimed-event.ts';

/**
 * How an event is laid out on Kafka (KAFKA_MESSAGE_FORMAT). In every format the key is the
 * aggregate id (one aggregate, one partition, one order).
 *
 * - `structured`: CloudEvents structured mode. One header, `content-type:
 *   application/cloudevents+json`; the value is the CloudEvents envelope with the event's data under
 *   `data` and the outbox metadata as extension attributes. The default: kafkajs encodes every
 *   header into several small Buffers, and with one header its producer sends about 1.6 times as
 *   many messages per second as with the eleven of `binary` (bench, drain scenario).
 * - `binary`: CloudEvents binary mode. The value is the event's JSON data exactly as stored, the
 *   metadata travels in `ce_*` headers plus this project's own `event_id`, `event_type`, ... headers.
 * - `compact`: the value is the data as stored, with only the headers a consumer needs to
 *   deduplicate and order (`event_id`, `event_type`, `aggregate_type`, `aggregate_sequence`, and
 *   `correlation_id` when set).
 *
 * src/inbox/read-delivered-event.ts reads all three.
 */
export const MESSAGE_FORMATS = ['structured', 'binary', 'compact'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

export type MessageEncoder = (event: ClaimedEvent) => Message;

/** The encoder for one format; `source` is the CloudEvents source of every event (the service). */
export function createMessageEncoder(format: MessageFormat, source: string): MessageEncoder {
  switch (format) {
    case 'structured': {
      const sourceJson = JSON.stringify(source);
      const headers: IHeaders = { 'content-type': STRUCTURED_CONTENT_TYPE };
      return (event) => ({ key: event.aggregateId, value: structuredValue(event, sourceJson), headers });
    }
    case 'binary':
      return (event) => ({
        key: event.aggregateId,
        value: event.eventData,
        headers: binaryHeaders(event, source),
      });
    case 'compact':
      return (event) => ({ key: event.aggregateId, value: event.eventData, headers: compactHeaders(event) });
  }
}

/**
 * Built as text around the stored data, which is JSON already (enqueueOutboxEvent writes it with
 * JSON.stringify): parsing and re-serialising every event would cost the relay for nothing.
 * Extension attribute names follow CloudEvents' rule (lower-case letters and digits only).
 */
function structuredValue(event: ClaimedEvent, sourceJson: string): string {
  const correlation = event.correlationId ? `,"correlationid":${JSON.stringify(event.correlationId)}` : '';
  return (
    `{"specversion":"1.0","id":${JSON.stringify(event.id)},"source":${sourceJson}` +
    `,"type":${JSON.stringify(event.eventType)},"time":"${event.createdAt.toISOString()}"` +
    `,"subject":${JSON.stringify(`${event.aggregateType}/${event.aggregateId}`)}` +
    `,"datacontenttype":"application/json","aggregatetype":${JSON.stringify(event.aggregateType)}` +
    `,"aggregateid":${JSON.stringify(event.aggregateId)},"aggregatesequence":${event.aggregateSequence}` +
    `${correlation},"data":${event.eventData}}`
  );
}

function binaryHeaders(event: ClaimedEvent, source: string): IHeaders {
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
  return headers;
}

function compactHeaders(event: ClaimedEvent): IHeaders {
  const headers: IHeaders = {
    event_id: event.id,
    event_type: event.eventType,
    aggregate_type: event.aggregateType,
    aggregate_sequence: String(event.aggregateSequence),
  };
  if (event.correlationId) headers.correlation_id = event.correlationId;
  return headers;
}

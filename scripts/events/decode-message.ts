/**
 * One Kafka message of the product's topics → one event record, whichever way the relay wrote it:
 *
 * - metadata in string headers (`event_type`, `aggregate_sequence`, `correlation_id`, … and/or CloudEvents
 *   binary-mode `ce_*` headers, or only the few a consumer needs), the value being the event's data;
 * - CloudEvents structured mode: `content-type: application/cloudevents+json`, the value a JSON envelope
 *   holding `id`, `type`, `source`, `subject`, `time`, `data` and extension attributes. CloudEvents
 *   extension names are lowercase letters and digits only, hence `aggregatesequence`, `correlationid`,
 *   `aggregatetype`, `aggregateid` (and the spec's own `partitionkey`).
 *
 * Messages come from a broker anyone may write to: nothing here throws on a malformed message; what
 * cannot be read is left null and the raw value is kept.
 */

export type RawKafkaMessage = {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
};

export type EventRecord = {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** How the metadata travelled. */
  format: 'headers' | 'cloudevents-structured';
  eventId: string | null;
  eventType: string | null;
  aggregateType: string | null;
  aggregateId: string | null;
  aggregateSequence: number | null;
  correlationId: string | null;
  source: string | null;
  time: string | null;
  /** The event's payload: parsed JSON when it is JSON, else the raw text (null for an empty value). */
  data: unknown;
};

const STRUCTURED_CONTENT_TYPE = /^application\/cloudevents(\+json)?\s*(;|$)/i;

function text(value: Buffer | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.toString('utf8');
}

function headerMap(headers: RawKafkaMessage['headers']): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    // A repeated header arrives as an array; the last one wins, as in most HTTP-style readers.
    const last = Array.isArray(value) ? value.at(-1) : value;
    const decoded = text(last);
    if (decoded !== null) map.set(name.toLowerCase(), decoded);
  }
  return map;
}

function parseJson(raw: string | null): unknown {
  if (raw === null || raw === '') return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** A positive whole number, from a header string or a JSON number/string; anything else is null. */
function sequenceOrNull(value: unknown): number | null {
  const raw = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}

/** `pet/4b1f…` → ['pet', '4b1f…']: the subject the relay writes names the aggregate. */
function splitSubject(subject: string | null): [string | null, string | null] {
  if (!subject) return [null, null];
  const slash = subject.indexOf('/');
  return slash > 0 ? [subject.slice(0, slash), subject.slice(slash + 1) || null] : [null, null];
}

function first(...values: (string | null | undefined)[]): string | null {
  for (const value of values) if (value !== undefined && value !== null && value !== '') return value;
  return null;
}

function fromHeaders(message: RawKafkaMessage, headers: Map<string, string>): EventRecord {
  const subject = headers.get('ce_subject') ?? null;
  const [subjectType, subjectId] = splitSubject(subject);
  return {
    ...position(message),
    format: 'headers',
    eventId: first(headers.get('event_id'), headers.get('ce_id')),
    eventType: first(headers.get('event_type'), headers.get('ce_type')),
    aggregateType: first(headers.get('aggregate_type'), headers.get('ce_aggregatetype'), subjectType),
    // The relay keys every message by its aggregate id; the leanest header set relies on that.
    aggregateId: first(
      headers.get('aggregate_id'),
      headers.get('ce_aggregateid'),
      subjectId,
      text(message.key),
    ),
    aggregateSequence: sequenceOrNull(
      headers.get('aggregate_sequence') ?? headers.get('ce_aggregatesequence') ?? null,
    ),
    correlationId: first(headers.get('correlation_id'), headers.get('ce_correlationid')),
    source: first(headers.get('ce_source')),
    time: first(headers.get('ce_time')),
    data: parseJson(text(message.value)),
  };
}

function fromEnvelope(message: RawKafkaMessage, envelope: Record<string, unknown>): EventRecord {
  const subject = stringOrNull(envelope.subject);
  const [subjectType, subjectId] = splitSubject(subject);
  let data: unknown = envelope.data ?? null;
  if (data === null && typeof envelope.data_base64 === 'string') {
    data = parseJson(Buffer.from(envelope.data_base64, 'base64').toString('utf8'));
  }
  return {
    ...position(message),
    format: 'cloudevents-structured',
    eventId: stringOrNull(envelope.id),
    eventType: stringOrNull(envelope.type),
    aggregateType: first(stringOrNull(envelope.aggregatetype), subjectType),
    // `partitionkey` is CloudEvents' partitioning extension: the relay keys by aggregate id.
    aggregateId: first(
      stringOrNull(envelope.aggregateid),
      subjectId,
      stringOrNull(envelope.partitionkey),
      text(message.key),
    ),
    aggregateSequence: sequenceOrNull(envelope.aggregatesequence),
    correlationId: stringOrNull(envelope.correlationid),
    source: stringOrNull(envelope.source),
    time: stringOrNull(envelope.time),
    data,
  };
}

function position(message: RawKafkaMessage) {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: text(message.key),
  };
}

export function decodeMessage(message: RawKafkaMessage): EventRecord {
  const headers = headerMap(message.headers);
  const contentType = headers.get('content-type') ?? '';
  const hasMetadataHeaders = headers.has('event_type') || headers.has('ce_type');
  if (STRUCTURED_CONTENT_TYPE.test(contentType) || !hasMetadataHeaders) {
    const envelope = parseJson(text(message.value));
    if (isObject(envelope) && typeof envelope.specversion === 'string')
      return fromEnvelope(message, envelope);
  }
  return fromHeaders(message, headers);
}

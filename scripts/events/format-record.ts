import type { EventRecord } from './decode-message.ts';

/**
 * What `npm run events` prints for one message: a header line (where it is on Kafka and what it is),
 * then the value as indented JSON, or with `compact` the value as one JSON text on the same line.
 *
 *   petstore.orders[2]@17  order.confirmed  seq=2  key=5c2e…  correlation=demo-…  id=0f9a…
 *     { "schemaVersion": 1, … }
 *
 * Everything printed comes from the broker, which anyone may write to: control characters are shown as
 * escapes, so a message cannot move the cursor or recolour the terminal.
 */
export function formatRecord(record: EventRecord, { compact = false }: { compact?: boolean } = {}): string {
  const header = [
    `${record.topic}[${record.partition}]@${record.offset}`,
    record.eventType ?? '(not an outbox event)',
    `seq=${record.aggregateSequence ?? '-'}`,
    `key=${record.key ?? '-'}`,
    `correlation=${record.correlationId ?? '-'}`,
    `id=${record.eventId ?? '-'}`,
  ]
    .map((field) => escapeControlCharacters(field))
    .join('  ');
  if (compact) return `${header}  ${escapeControlCharacters(JSON.stringify(record.data))}`;
  const value = escapeControlCharacters(JSON.stringify(record.data, null, 2), { keepNewlines: true });
  return `${header}\n${value.replace(/^/gm, '  ')}`;
}

// C0 and C1 controls and DEL. JSON.stringify escapes C0 inside strings but leaves DEL and C1 (U+009B is a
// terminal's CSI) as they are, and raw text values are not JSON at all.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function escapeControlCharacters(text: string, { keepNewlines = false } = {}): string {
  return text.replace(CONTROL, (char) =>
    keepNewlines && char === '\n' ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

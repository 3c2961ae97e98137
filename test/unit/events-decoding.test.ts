import { describe, expect, test } from 'vitest';
import { decodeMessage, type RawKafkaMessage } from '../../scripts/events/decode-message.ts';
import { parseEventsOptions } from '../../scripts/events/events-options.ts';
import { formatRecord } from '../../scripts/events/format-record.ts';
import { matchesFilter } from '../../scripts/events/record-filter.ts';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import {
  createMessageEncoder,
  MESSAGE_FORMATS,
  type MessageFormat,
} from '../../src/outbox/relay/kafka-message.ts';

const data = { schemaVersion: 1, pet: { id: 'p-1', name: 'Buddy', price: '1200.00' } };
const position = { topic: 'petstore.pets', partition: 2, offset: '17' };

const event: ClaimedEvent = {
  id: 'e-1',
  aggregateType: 'pet',
  aggregateId: 'p-1',
  aggregateSequence: 1,
  eventType: 'pet.created',
  eventData: JSON.stringify(data),
  correlationId: 'corr-1',
  topic: 'petstore.pets',
  createdAt: new Date('2026-12-01T10:00:00.000Z'),
  retryCount: 0,
};

/** The message exactly as the relay writes it in one KAFKA_MESSAGE_FORMAT. */
function asRelayWritesIt(format: MessageFormat, claimed: ClaimedEvent = event): RawKafkaMessage {
  const message = createMessageEncoder(format, '/petstore-outbox')(claimed);
  return {
    ...position,
    key: message.key as string,
    value: Buffer.from(message.value as string),
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))]),
    ),
  };
}

const expected = {
  ...position,
  key: 'p-1',
  eventId: 'e-1',
  eventType: 'pet.created',
  aggregateType: 'pet',
  aggregateId: 'p-1',
  aggregateSequence: 1,
  correlationId: 'corr-1',
  data,
};
const headerMessage = asRelayWritesIt('binary');

describe('decodeMessage', () => {
  test.each(MESSAGE_FORMATS)('reads what the relay writes in the %s format', (format) => {
    expect(decodeMessage(asRelayWritesIt(format))).toEqual({ ...expected, format });
  });

  test('an event without a correlation id has none', () => {
    expect(
      decodeMessage(asRelayWritesIt('structured', { ...event, correlationId: null })).correlationId,
    ).toBeNull();
  });

  test('anything else on the topic is shown as it is, marked as no outbox event', () => {
    const foreign = decodeMessage({ ...position, key: null, value: Buffer.from('not json {'), headers: {} });
    expect(foreign).toMatchObject({ format: 'unrecognised', key: null, eventType: null, data: 'not json {' });
    const json = decodeMessage({ ...position, key: 'k', value: '{"hello":"world"}', headers: {} });
    expect(json).toMatchObject({ format: 'unrecognised', data: { hello: 'world' } });
    expect(decodeMessage({ ...position, key: null, value: null, headers: undefined }).data).toBeNull();
  });

  test('an envelope breaking the contract is not taken for an event', () => {
    const envelope = {
      specversion: '1.0',
      id: 'e-1',
      type: 'pet.created',
      aggregatetype: 'pet',
      aggregateid: 'p-1',
    };
    const record = decodeMessage({
      ...position,
      key: 'p-1',
      value: JSON.stringify({ ...envelope, aggregatesequence: -3, data }),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(record).toMatchObject({ format: 'unrecognised', eventType: null, aggregateSequence: null });
  });
});

describe('formatRecord', () => {
  test('one header line with where and what, then the value indented', () => {
    const lines = formatRecord(decodeMessage(headerMessage)).split('\n');
    expect(lines[0]).toBe('petstore.pets[2]@17  pet.created  seq=1  key=p-1  correlation=corr-1  id=e-1');
    expect(JSON.parse(lines.slice(1).join('\n'))).toEqual(data);
    expect(lines.slice(1).every((line) => line.startsWith('  '))).toBe(true);
  });

  test('compact puts the value on the header line', () => {
    const text = formatRecord(decodeMessage(headerMessage), { compact: true });
    expect(text).not.toContain('\n');
    expect(text.endsWith(JSON.stringify(data))).toBe(true);
  });

  test('control characters from the broker reach the terminal as escapes', () => {
    const record = decodeMessage({
      ...headerMessage,
      key: Buffer.from('k\u001b[2J'),
      value: Buffer.from(JSON.stringify({ note: 'a\u009b31mred' })),
    });
    const text = formatRecord(record);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character but the newline may remain
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('key=k\\u001b[2J');
    expect(text).toContain('a\\u009b31mred');
  });
});

describe('matchesFilter', () => {
  const record = decodeMessage(headerMessage);
  test.each([
    [{ types: [], aggregates: [] }, true],
    [{ types: ['pet.created'], aggregates: [] }, true],
    [{ types: ['pet.*'], aggregates: [] }, true],
    [{ types: ['order.*', 'pet.created'], aggregates: [] }, true],
    [{ types: ['pet.updated'], aggregates: [] }, false],
    [{ types: ['pet.'], aggregates: [] }, false],
    [{ types: [], aggregates: ['p-1'] }, true],
    [{ types: [], aggregates: ['pet/p-1'] }, true],
    [{ types: [], aggregates: ['order/p-1'] }, false],
    [{ types: ['pet.created'], aggregates: ['p-2'] }, false],
  ])('%j → %s', (filter, result) => {
    expect(matchesFilter(record, filter)).toBe(result);
  });
});

describe('parseEventsOptions', () => {
  test('defaults: from now, no filter, no bound', () => {
    expect(parseEventsOptions([])).toMatchObject({
      fromBeginning: false,
      filter: { types: [], aggregates: [] },
      max: null,
      idleExitMs: null,
    });
  });

  test('repeatable filters and bounds', () => {
    expect(
      parseEventsOptions([
        '--from-beginning',
        '--type',
        'order.*',
        '--type',
        'pet.created',
        '--aggregate',
        'p-1',
        '--max',
        '5',
        '--idle-exit',
        '3000',
      ]),
    ).toMatchObject({
      fromBeginning: true,
      filter: { types: ['order.*', 'pet.created'], aggregates: ['p-1'] },
      max: 5,
      idleExitMs: 3000,
    });
  });

  test.each([
    ['--max', '0'],
    ['--max', 'x'],
    ['--idle-exit', '-1'],
    ['--brokers', 'nope'],
    ['--prefix', 'a b'],
    ['--bogus'],
  ])('refuses %s %s', (...args) => {
    expect(() => parseEventsOptions(args.filter((arg): arg is string => arg !== undefined))).toThrow();
  });
});

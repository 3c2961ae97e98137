import { describe, expect, test } from 'vitest';
import { decodeMessage, type RawKafkaMessage } from '../../scripts/events/decode-message.ts';
import { parseEventsOptions } from '../../scripts/events/events-options.ts';
import { formatRecord } from '../../scripts/events/format-record.ts';
import { matchesFilter } from '../../scripts/events/record-filter.ts';

const data = { schemaVersion: 1, pet: { id: 'p-1', name: 'Buddy', price: '1200.00' } };
const position = { topic: 'petstore.pets', partition: 2, offset: '17', key: Buffer.from('p-1') };

/** The header format: metadata in string headers, the value the event's data. */
const headerMessage: RawKafkaMessage = {
  ...position,
  value: Buffer.from(JSON.stringify(data)),
  headers: {
    event_id: Buffer.from('e-1'),
    event_type: Buffer.from('pet.created'),
    aggregate_type: Buffer.from('pet'),
    aggregate_id: Buffer.from('p-1'),
    aggregate_sequence: Buffer.from('1'),
    correlation_id: Buffer.from('corr-1'),
    'content-type': Buffer.from('application/json'),
    ce_id: Buffer.from('e-1'),
    ce_type: Buffer.from('pet.created'),
    ce_source: Buffer.from('/petstore-outbox'),
    ce_specversion: Buffer.from('1.0'),
    ce_time: Buffer.from('2026-12-01T10:00:00.000Z'),
    ce_subject: Buffer.from('pet/p-1'),
  },
};

/** CloudEvents structured mode: one content-type header, everything else in the JSON envelope. */
const structuredMessage: RawKafkaMessage = {
  ...position,
  value: Buffer.from(
    JSON.stringify({
      specversion: '1.0',
      id: 'e-1',
      type: 'pet.created',
      source: '/petstore-outbox',
      subject: 'pet/p-1',
      time: '2026-12-01T10:00:00.000Z',
      datacontenttype: 'application/json',
      aggregatesequence: 1,
      correlationid: 'corr-1',
      data,
    }),
  ),
  headers: { 'content-type': Buffer.from('application/cloudevents+json; charset=utf-8') },
};

const expected = {
  topic: 'petstore.pets',
  partition: 2,
  offset: '17',
  key: 'p-1',
  eventId: 'e-1',
  eventType: 'pet.created',
  aggregateType: 'pet',
  aggregateId: 'p-1',
  aggregateSequence: 1,
  correlationId: 'corr-1',
  source: '/petstore-outbox',
  time: '2026-12-01T10:00:00.000Z',
  data,
};

describe('decodeMessage', () => {
  test('reads the metadata from headers', () => {
    expect(decodeMessage(headerMessage)).toEqual({ ...expected, format: 'headers' });
  });

  test('reads a CloudEvents structured-mode envelope the same way', () => {
    expect(decodeMessage(structuredMessage)).toEqual({ ...expected, format: 'cloudevents-structured' });
  });

  test('with only the headers a consumer needs, the key names the aggregate', () => {
    const record = decodeMessage({
      ...position,
      value: JSON.stringify(data),
      headers: { event_id: 'e-1', event_type: 'pet.created', aggregate_type: 'pet', aggregate_sequence: '1' },
    });
    expect(record).toMatchObject({
      format: 'headers',
      aggregateType: 'pet',
      aggregateId: 'p-1',
      eventId: 'e-1',
    });
  });

  test('reads binary-mode ce_ headers alone, extensions included', () => {
    const record = decodeMessage({
      ...position,
      value: JSON.stringify(data),
      headers: {
        ce_id: 'e-2',
        ce_type: 'pet.updated',
        ce_subject: 'pet/p-1',
        ce_aggregatesequence: '4',
        ce_correlationid: 'corr-2',
      },
    });
    expect(record).toMatchObject({
      eventId: 'e-2',
      eventType: 'pet.updated',
      aggregateType: 'pet',
      aggregateId: 'p-1',
      aggregateSequence: 4,
      correlationId: 'corr-2',
    });
  });

  test('an envelope without the content-type header is still recognised by its specversion', () => {
    expect(decodeMessage({ ...structuredMessage, headers: {} })).toMatchObject({
      format: 'cloudevents-structured',
      eventType: 'pet.created',
    });
  });

  test('an envelope naming its aggregate only by partitionkey still names it', () => {
    const envelope = { specversion: '1.0', id: 'e-4', type: 'order.created', partitionkey: 'o-1', data };
    expect(decodeMessage({ ...structuredMessage, value: JSON.stringify(envelope) }).aggregateId).toBe('o-1');
  });

  test('a structured envelope carrying data_base64 is decoded', () => {
    const envelope = {
      specversion: '1.0',
      id: 'e-3',
      type: 'pet.created',
      data_base64: Buffer.from(JSON.stringify(data)).toString('base64'),
    };
    expect(decodeMessage({ ...structuredMessage, value: JSON.stringify(envelope) }).data).toEqual(data);
  });

  test('never throws on garbage: unknown fields are null, the raw value is kept', () => {
    const record = decodeMessage({
      ...position,
      key: null,
      value: Buffer.from('not json {'),
      headers: { aggregate_sequence: '-3', 'content-type': 'application/cloudevents+json' },
    });
    expect(record).toMatchObject({
      format: 'headers',
      key: null,
      eventType: null,
      aggregateSequence: null,
      data: 'not json {',
    });
    expect(decodeMessage({ ...position, value: null, headers: undefined }).data).toBeNull();
    const hostile = decodeMessage({
      ...structuredMessage,
      value: '{"specversion":"1.0","aggregatesequence":"1e9"}',
    });
    expect(hostile.aggregateSequence).toBeNull();
  });

  test('a repeated header counts with its last value', () => {
    const record = decodeMessage({
      ...headerMessage,
      headers: { ...headerMessage.headers, event_type: ['a', 'b'] },
    });
    expect(record.eventType).toBe('b');
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

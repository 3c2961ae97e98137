import { GraphQLError } from 'graphql';
import { describe, expect, test } from 'vitest';
import { payloadJson, placeholderFor, withSharedPayload } from '../../src/http/shared-payloads.ts';

/** What graphql-ws puts on the wire for a "next" message (its stringifyMessage). */
const nextMessage = (id: string, payload: unknown) => JSON.stringify({ id, type: 'next', payload });

/** Stands for a WebSocket: placeholders are kept per connection. */
const connection = {};

describe('shared payloads for graphql-ws', () => {
  test('a placeholder becomes exactly the message graphql-ws would have sent', () => {
    const result = { data: { eventPublished: { cursor: '42', note: 'quotes " and }} braces' } } };
    for (const id of ['1', 'sub "2"']) {
      const sent = withSharedPayload(nextMessage(id, placeholderFor(result, connection)), connection);
      expect(sent).toBe(nextMessage(id, result));
      expect(JSON.parse(sent)).toEqual({ id, type: 'next', payload: result });
    }
  });

  test('errors are formatted as graphql-ws formats them', () => {
    const error = new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL' } });
    const result = { data: null, errors: [error] };
    expect(
      JSON.parse(withSharedPayload(nextMessage('3', placeholderFor(result, connection)), connection)),
    ).toEqual({
      id: '3',
      type: 'next',
      payload: { data: null, errors: [error.toJSON()] },
    });
  });

  test('a result is serialised once however often it is sent', () => {
    const result = { data: { n: 1 } };
    expect(payloadJson(result)).toBe(payloadJson(result));
    const first = withSharedPayload(nextMessage('a', placeholderFor(result, connection)), connection);
    const second = withSharedPayload(nextMessage('b', placeholderFor(result, connection)), connection);
    expect(first.slice(first.indexOf('"payload":'))).toBe(second.slice(second.indexOf('"payload":')));
  });

  test('other messages, and placeholders already used, pass through unchanged', () => {
    for (const message of [
      JSON.stringify({ type: 'connection_ack' }),
      JSON.stringify({ id: '1', type: 'complete' }),
      JSON.stringify({ id: '1', type: 'error', payload: [{ message: 'x' }] }),
      nextMessage('1', { data: { text: '"payload":{"\\u0000sharedPayload":0}}' } }),
    ]) {
      expect(withSharedPayload(message, connection)).toBe(message);
    }
    const message = nextMessage('1', placeholderFor({ data: { n: 2 } }, connection));
    withSharedPayload(message, connection);
    expect(withSharedPayload(message, connection)).toBe(message);
  });

  test('a placeholder is replaced only on the connection it was made for', () => {
    const result = { data: { n: 3 } };
    const other = {};
    const message = nextMessage('1', placeholderFor(result, connection));
    expect(withSharedPayload(message, other)).toBe(message);
    expect(withSharedPayload(message, connection)).toBe(nextMessage('1', result));
  });
});

import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';

/**
 * Serialise-once for graphql-ws "next" messages. graphql-ws builds and stringifies every message
 * itself, once per subscriber, and each message carries its subscription's own id, so the bytes
 * cannot all be the same; their payloads can. `placeholderFor` (graphql-ws's onNext hook) swaps a
 * result for a tiny placeholder holding a token; the socket's send, wrapped by `sendSharedPayloads`,
 * puts the result's JSON, computed once per result object, where the placeholder was. Subscribers
 * that share a result (src/graphql/shared-subscription-execution.ts) share its JSON.
 */

/** A key no GraphQL result has at its top level (results have data, errors, extensions). */
const PLACEHOLDER_KEY = '\u0000sharedPayload';
const PLACEHOLDER_PREFIX = `,"payload":{${JSON.stringify(PLACEHOLDER_KEY)}:`;

const jsonByResult = new WeakMap<ExecutionResult, string>();
/**
 * Tokens handed out and not yet sent, per connection: a placeholder is only ever replaced on the
 * connection it was made for, and the tokens of a connection that closed before sending them go
 * with it instead of staying behind.
 */
const pendingByConnection = new WeakMap<object, Map<number, string>>();
let nextToken = 0;

/** The payload graphql-ws would have sent for `result`, serialised once per result object. */
export function payloadJson(result: ExecutionResult): string {
  let json = jsonByResult.get(result);
  if (json === undefined) {
    const { errors, ...rest } = result;
    // As graphql-ws formats them: GraphQLError's toJSON, when the error is one.
    const formatted = errors?.map((error) => (typeof error.toJSON === 'function' ? error.toJSON() : error));
    json = JSON.stringify(formatted ? { ...rest, errors: formatted } : rest);
    jsonByResult.set(result, json);
  }
  return json;
}

/** For graphql-ws's onNext: what to send on `connection` (its socket) instead of `result`. */
export function placeholderFor(result: ExecutionResult, connection: object): ExecutionResult {
  const token = nextToken++;
  if (nextToken === Number.MAX_SAFE_INTEGER) nextToken = 0;
  let pending = pendingByConnection.get(connection);
  if (!pending) {
    pending = new Map();
    pendingByConnection.set(connection, pending);
  }
  pending.set(token, payloadJson(result));
  return { [PLACEHOLDER_KEY]: token } as ExecutionResult;
}

/**
 * The message with its placeholder replaced by the payload's JSON; messages without one, or with a
 * placeholder not made for `connection`, pass through.
 */
export function withSharedPayload(message: string, connection: object): string {
  if (!message.endsWith('}}')) return message;
  const at = message.lastIndexOf(PLACEHOLDER_PREFIX);
  if (at < 0) return message;
  const token = Number(message.slice(at + PLACEHOLDER_PREFIX.length, -2));
  const pending = pendingByConnection.get(connection);
  const json = pending?.get(token);
  if (json === undefined) return message;
  pending?.delete(token);
  return `${message.slice(0, at)},"payload":${json}}`;
}

/** Wraps a connection's send, before graphql-ws starts using it. */
export function sendSharedPayloads(socket: WebSocket): void {
  const send = socket.send.bind(socket) as (data: unknown, ...rest: unknown[]) => void;
  socket.send = ((data: unknown, ...rest: unknown[]) =>
    send(typeof data === 'string' ? withSharedPayload(data, socket) : data, ...rest)) as WebSocket['send'];
}

/**
 * Documents built to exhaust the server: huge bodies, many aliases, deep or costly selections,
 * directive floods, oversized WebSocket frames, and a flood of distinct documents meant to fill the
 * parse cache. Each is refused, and none leaves anything behind in memory.
 */
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { graphql } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
});

afterAll(async () => {
  await testApp?.stop();
});

const aliases = (count: number, field = '__typename') =>
  `{ ${Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join(' ')} }`;

async function post(body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(testApp.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const messagesOf = async (query: string) => {
  const response = await graphql(testApp.graphqlUrl, query);
  return (response.errors ?? []).map((error) => error.message).join('\n');
};

describe('request size', () => {
  test('the 2 MiB, 100,000-alias document is refused by its size, unread', async () => {
    const { status } = await post(JSON.stringify({ query: aliases(100_000) }));
    expect(status).toBe(413);
  });

  test('a body without a declared length (chunked) is refused', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(testApp.graphqlUrl);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"query":"{ __typename }"');
      req.end('}');
    });
    expect(status).toBe(411);
  });

  test('a body just under 100 kB is read (and then refused by the token limit)', async () => {
    const body = JSON.stringify({ query: aliases(5500) });
    expect(body.length).toBeLessThan(100 * 1024);
    const { status, text } = await post(body);
    expect(status).not.toBe(413);
    expect(text).toMatch(/Token limit of 2000 exceeded/);
  });
});

describe('operation limits', () => {
  test('15 aliases pass, 16 are refused', async () => {
    expect(await messagesOf(aliases(15))).toBe('');
    expect(await messagesOf(aliases(16))).toMatch(/Aliases limit of 15 exceeded/);
  });

  test('more than 2000 tokens are refused by the parser', async () => {
    const query = `{ __typename ${'__typename '.repeat(2000)}}`;
    expect(await messagesOf(query)).toMatch(/Token limit of 2000 exceeded/);
  });

  test('more than 50 directives are refused', async () => {
    const query = `{ __typename ${'@include(if: true) '.repeat(51)}}`;
    expect(await messagesOf(query)).toMatch(/Directives limit of 50 exceeded/);
  });

  test('a selection deeper than 10 is refused', async () => {
    const query = `{ ${'a { '.repeat(11)}b${' }'.repeat(11)} }`;
    expect(await messagesOf(query)).toMatch(/depth limit of 10 exceeded/i);
  });

  test('a costly document (one fragment spread many times) is refused', async () => {
    const query = `query { pets { edges { node { ${'...P '.repeat(400)}} } } }
      fragment P on Pet { id name species breed age price category description status createdAt updatedAt }`;
    expect(await messagesOf(query)).toMatch(/Query Cost limit of 5000 exceeded/);
  });

  test('introspection, as GraphiQL sends it, stays within the limits', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const response = await graphql(testApp.graphqlUrl, getIntrospectionQuery({ descriptions: true }));
    expect(response.errors).toBeUndefined();
  });
});

describe('WebSocket frames', () => {
  test('a frame over 64 kB closes the socket with 1009 before it is processed', async () => {
    const socket = new WebSocket(testApp.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(65 * 1024) } }));
    expect(await closed).toBe(1009);
  });
});

describe('the parse cache', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapAfterGc = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };

  test('documents refused by the limits are not kept: 300 distinct 90 kB ones leave the heap as it was', async () => {
    // Each document is unique (so no cache would dedupe it) and about 90 kB of text: half are refused
    // by the token limit in the parser, half parse fine (one long string) and are refused by the
    // alias limit in validation. Kept in a cache, they would hold at least 27 MB.
    const document = (index: number) =>
      index % 2 === 0
        ? `{ i${index}: __typename ${'__typename '.repeat(8000)}}`
        : `{ pet(id: "${index}${'p'.repeat(90_000)}") { id } ${aliases(16).slice(1, -1)} }`;
    await post(JSON.stringify({ query: aliases(16) }));
    const before = heapAfterGc();
    for (let index = 0; index < 300; index += 1) {
      const response = await graphql(testApp.graphqlUrl, document(index));
      expect(response.errors?.[0]?.message).toMatch(/Token limit|Aliases limit/);
    }
    const grown = heapAfterGc() - before;
    expect(grown).toBeLessThan(10 * 1024 * 1024);
  });
});

/**
 * Cross-site attacks: an HTML form posting a mutation, a "simple" cross-site fetch, a cross-site
 * WebSocket. Each is what any page the operator visits could do; each must fail.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const LISTED = 'https://shop.example.com';
const EVIL = 'https://evil.example';
const MUTATION =
  'mutation { createPet(input: {name: "Pwned", species: "dog", price: "1.00"}) { __typename } }';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({
    OUTBOX_RELAY_ENABLED: 'false',
    CORS_ORIGINS: `${LISTED}, http://localhost:1`,
  });
});

afterAll(async () => {
  await testApp?.stop();
});

async function petCount(): Promise<number> {
  return testApp.app.services.prisma.pet.count();
}

const sameOrigin = () => new URL(testApp.url).origin;

describe('a cross-site form or simple request cannot run a mutation', () => {
  test.each([
    [
      'an urlencoded form',
      'application/x-www-form-urlencoded',
      new URLSearchParams({ query: MUTATION }).toString(),
    ],
    ['a text/plain form', 'text/plain', JSON.stringify({ query: MUTATION })],
  ])('%s is refused with 415', async (_what, contentType, body) => {
    const before = await petCount();
    const response = await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' },
      body,
    });
    expect(response.status).toBe(415);
    expect(await petCount()).toBe(before);
  });

  test('a multipart body is refused with 415', async () => {
    const before = await petCount();
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: MUTATION }));
    form.set('map', '{}');
    const response = await fetch(testApp.graphqlUrl, { method: 'POST', body: form });
    expect(response.status).toBe(415);
    expect(await petCount()).toBe(before);
  });

  test('a JSON POST from a foreign origin is refused, and gets no CORS headers', async () => {
    const before = await petCount();
    const response = await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ query: MUTATION }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(await petCount()).toBe(before);
  });

  test('a GET needs the CSRF header unless the browser says it is same-origin', async () => {
    const url = `${testApp.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`;
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(url, { headers: { 'x-graphql-yoga-csrf': '1' } })).status).toBe(200);
    expect((await fetch(url, { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
  });
});

describe('CORS allow-list', () => {
  const preflight = (origin: string) =>
    fetch(testApp.graphqlUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });

  test('a foreign origin gets no Access-Control-Allow-Origin, a listed one gets exactly itself', async () => {
    const foreign = await preflight(EVIL);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();

    const listed = await preflight(LISTED);
    expect(listed.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(listed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(listed.headers.get('access-control-allow-credentials')).toBeNull();

    const response = await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: LISTED },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(LISTED);
  });

  test('the same origin needs no listing', async () => {
    const response = await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: sameOrigin() },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
  });
});

describe('WebSocket upgrades check Origin', () => {
  function openSocket(origin?: string): Promise<'open' | number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(testApp.wsUrl, 'graphql-transport-ws', origin ? { origin } : {});
      socket.once('open', () => {
        socket.close();
        resolve('open');
      });
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', (error) => {
        if (socket.readyState !== WebSocket.CLOSED) reject(error);
      });
    });
  }

  test('a cross-site socket is refused; listed, same-origin and non-browser sockets open', async () => {
    expect(await openSocket(EVIL)).toBe(403);
    expect(await openSocket('null')).toBe(403);
    expect(await openSocket(LISTED)).toBe('open');
    expect(await openSocket(sameOrigin())).toBe('open');
    expect(await openSocket()).toBe('open');
  });
});

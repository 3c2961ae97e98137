/**
 * Admin operations attacked over HTTP and WebSocket: without the admin bearer token nobody pauses the
 * relays, replays dead letters or reads users' contact details; with no ADMIN_TOKEN configured the
 * operations are off for everyone.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_HEADERS, TEST_ADMIN_TOKEN } from '../support/admin.ts';
import { type GraphQLResponse, graphql } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { wsRequest } from './hostile-clients.ts';

const PAUSE = 'mutation { pauseRelay(reason: "pwned") { paused pausedBy } }';
const ADMIN_OPERATIONS = {
  pauseRelay: PAUSE,
  resumeRelay: 'mutation { resumeRelay { paused } }',
  relayControl: '{ relayControl { paused } }',
  replayFailedEvent:
    'mutation { replayFailedEvent(eventId: "00000000-0000-4000-8000-000000000000") { replayed } }',
  replayFailedEventsOfAggregate:
    'mutation { replayFailedEventsOfAggregate(aggregateType: "pet", aggregateId: "x") { replayed } }',
  replayFailedEvents: 'mutation { replayFailedEvents(dryRun: false) { replayed } }',
};

let testApp: TestApp;
let noTokenApp: TestApp;

beforeAll(async () => {
  [testApp, noTokenApp] = await Promise.all([
    startTestApp({ OUTBOX_RELAY_ENABLED: 'false' }),
    startTestApp({ OUTBOX_RELAY_ENABLED: 'false', ADMIN_TOKEN: '' }),
  ]);
});

afterAll(async () => {
  await Promise.all([testApp?.stop(), noTokenApp?.stop()]);
});

const paused = async (app: TestApp) => (await app.app.services.outboxAdmin.relayControl()).paused;
const codeOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

describe('admin operations over HTTP', () => {
  test.each(Object.entries(ADMIN_OPERATIONS))('%s is refused without a credential', async (_name, query) => {
    const response = await graphql(testApp.graphqlUrl, query);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toContain('Authorization: Bearer');
    expect(await paused(testApp)).toBe(false);
  });

  test.each([
    ['a wrong token', `Bearer ${'x'.repeat(TEST_ADMIN_TOKEN.length)}`],
    ['a prefix of the token', `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}`],
    ['the token with a suffix', `Bearer ${TEST_ADMIN_TOKEN}x`],
    ['the token without the scheme', TEST_ADMIN_TOKEN],
    ['the token as Basic', `Basic ${TEST_ADMIN_TOKEN}`],
    ['an empty bearer', 'Bearer '],
  ])('pauseRelay is refused with %s', async (_what, authorization) => {
    const response = await graphql(testApp.graphqlUrl, PAUSE, {}, { authorization });
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(await paused(testApp)).toBe(false);
  });

  test('the author of a pause comes from the credential; a `by` argument no longer exists', async () => {
    const spoofed = await graphql(
      testApp.graphqlUrl,
      'mutation { pauseRelay(reason: "r", by: "someone-else") { pausedBy } }',
      {},
      ADMIN_HEADERS,
    );
    expect(spoofed.errors?.[0]?.message).toMatch(/Unknown argument "by"/);
    expect(await paused(testApp)).toBe(false);

    const response = await graphql<{ pauseRelay: { paused: boolean; pausedBy: string } }>(
      testApp.graphqlUrl,
      PAUSE,
      {},
      { ...ADMIN_HEADERS, 'x-correlation-id': 'admin-pause-1' },
    );
    expect(response.data?.pauseRelay).toEqual({
      paused: true,
      pausedBy: 'admin (correlation id admin-pause-1)',
    });
    const resumed = await graphql(testApp.graphqlUrl, ADMIN_OPERATIONS.resumeRelay, {}, ADMIN_HEADERS);
    expect(resumed.data).toEqual({ resumeRelay: { paused: false } });
  });

  test('with no ADMIN_TOKEN configured, admin operations are disabled for everyone', async () => {
    for (const query of Object.values(ADMIN_OPERATIONS)) {
      const response = await graphql(noTokenApp.graphqlUrl, query, {}, ADMIN_HEADERS);
      expect(codeOf(response)).toBe('ADMIN_DISABLED');
      expect(response.errors?.[0]?.message).toContain('no ADMIN_TOKEN configured');
    }
    expect(await paused(noTokenApp)).toBe(false);
  });
});

describe('admin operations over graphql-ws', () => {
  test('a socket without the credential cannot pause; one with it in its connection parameters can', async () => {
    const refused = await wsRequest(testApp.wsUrl, PAUSE);
    expect(codeOf(refused)).toBe('UNAUTHENTICATED');
    expect(await paused(testApp)).toBe(false);

    const wrong = await wsRequest(testApp.wsUrl, PAUSE, { Authorization: 'Bearer nope' });
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    expect(await paused(testApp)).toBe(false);

    const allowed = await wsRequest(testApp.wsUrl, PAUSE, { Authorization: ADMIN_HEADERS.authorization });
    expect(allowed.data).toMatchObject({ pauseRelay: { paused: true } });
    await graphql(testApp.graphqlUrl, ADMIN_OPERATIONS.resumeRelay, {}, ADMIN_HEADERS);
  });
});

describe("users' contact details", () => {
  const REGISTER = `mutation ($id: ID!) {
    registerUser(id: $id, input: { name: "Jane", email: "jane@example.com", phone: "+1234567890" }) {
      __typename ... on UserPayload { user { id email phone } events { data } }
    }
  }`;
  const READ = `query ($id: ID!, $aggregateId: String!) {
    user(id: $id) { id email phone }
    outboxEvents(aggregateType: "user", aggregateId: $aggregateId) { edges { node { data } } }
  }`;

  test('are hidden from anonymous callers, in the User and in the outbox payloads', async () => {
    const registered = await graphql<{ registerUser: { user: unknown; events: { data: unknown }[] } }>(
      testApp.graphqlUrl,
      REGISTER,
      { id: 'contact_1' },
    );
    expect(registered.data?.registerUser.user).toEqual({ id: 'contact_1', email: null, phone: null });
    expect(registered.data?.registerUser.events[0]?.data).toMatchObject({
      user: { id: 'contact_1', email: null, phone: null },
    });

    const anonymous = await graphql(testApp.graphqlUrl, READ, { id: 'contact_1', aggregateId: 'contact_1' });
    expect(anonymous.errors).toBeUndefined();
    expect(JSON.stringify(anonymous)).not.toContain('jane@example.com');
    expect(JSON.stringify(anonymous)).not.toContain('1234567890');
    expect(anonymous.data).toMatchObject({ user: { email: null, phone: null } });

    const admin = await graphql(
      testApp.graphqlUrl,
      READ,
      { id: 'contact_1', aggregateId: 'contact_1' },
      ADMIN_HEADERS,
    );
    expect(admin.data).toMatchObject({
      user: { email: 'jane@example.com', phone: '+1234567890' },
      outboxEvents: { edges: [{ node: { data: { user: { email: 'jane@example.com' } } } }] },
    });
  });
});

describe('GraphiQL', () => {
  test('has its headers editor on, so an operator can send the credential', async () => {
    const response = await fetch(testApp.graphqlUrl, { headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(html).toMatch(/isHeadersEditorEnabled"?\s*:\s*true/);
  });
});

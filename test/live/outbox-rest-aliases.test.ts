/**
 * The design document's REST endpoints, `GET /api/v1/petstore-outbox/metrics` and `/health`, on a
 * running server: their shape, their agreement with the GraphQL `outboxMetrics` query, and what they
 * do with requests they were not made for.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphql } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const PREFIX = '/api/v1/petstore-outbox';
const CREATE_PET = `mutation ($input: CreatePetInput!) { createPet(input: $input) { __typename } }`;
const OUTBOX_METRICS = `{ outboxMetrics { pendingEvents failedEvents processedToday running kafkaConnected serviceStatus kafkaStatus } }`;

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp?.stop();
});

type MetricsDocument = {
  outbox_metrics: Record<string, unknown>;
  service_status: string;
  kafka_status: string;
  timestamp: string;
};

async function restMetrics(query = ''): Promise<MetricsDocument> {
  const response = await fetch(`${testApp.url}${PREFIX}/metrics${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  return (await response.json()) as MetricsDocument;
}

/** Sends bytes as they are and returns what the server answers, up to the end of the connection. */
function rawExchange(request: string): Promise<string> {
  const { port } = new URL(testApp.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.write(request);
  });
}

describe('GET /api/v1/petstore-outbox/metrics', () => {
  test("answers the design document's shape with the outboxMetrics numbers", async () => {
    testApp.app.outbox.relay?.pause();
    try {
      const created = await graphql(testApp.graphqlUrl, CREATE_PET, {
        input: { name: 'Buddy', species: 'dog', price: '1200.00' },
      });
      expect(created.errors).toBeUndefined();
      const body = await waitFor(
        async () => {
          const current = await restMetrics();
          return current.outbox_metrics.pending_events === 1 ? current : null;
        },
        { what: 'the REST metrics to count the pending event' },
      );
      expect(Object.keys(body).sort()).toEqual([
        'kafka_status',
        'outbox_metrics',
        'service_status',
        'timestamp',
      ]);
      expect(Object.keys(body.outbox_metrics).sort()).toEqual([
        'failed_events',
        'kafka_connected',
        'pending_events',
        'processed_today',
        'running',
      ]);
      expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);

      // The same snapshot as the GraphQL view (the relay is paused, so nothing moves in between).
      const { data } = await graphql<{ outboxMetrics: Record<string, unknown> }>(
        testApp.graphqlUrl,
        OUTBOX_METRICS,
      );
      const view = data?.outboxMetrics;
      expect(body).toMatchObject({
        outbox_metrics: {
          pending_events: view?.pendingEvents,
          failed_events: view?.failedEvents,
          processed_today: view?.processedToday,
          running: view?.running,
          kafka_connected: view?.kafkaConnected,
        },
        service_status: view?.serviceStatus,
        kafka_status: view?.kafkaStatus,
      });
    } finally {
      testApp.app.outbox.relay?.resume();
    }
    const published = await waitFor(
      async () => {
        const current = await restMetrics();
        return current.outbox_metrics.pending_events === 0 && current.outbox_metrics.processed_today === 1
          ? current
          : null;
      },
      { what: 'the REST metrics to count the event published' },
    );
    expect(published).toMatchObject({
      outbox_metrics: { running: true, kafka_connected: true, failed_events: 0 },
      service_status: 'running',
      kafka_status: 'connected',
    });
  });

  test('ignores query strings: no parameter changes the answer', async () => {
    const plain = await restMetrics();
    const tampered = await restMetrics('?pending_events=999&__proto__[x]=1&format=prometheus');
    expect({ ...tampered, timestamp: '' }).toEqual({ ...plain, timestamp: '' });
  });
});

describe('GET /api/v1/petstore-outbox/health', () => {
  test('answers what /health answers', async () => {
    const alias = await fetch(`${testApp.url}${PREFIX}/health?verbose=true`);
    const plain = await fetch(`${testApp.url}/health`);
    expect(alias.status).toBe(200);
    const body = (await alias.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(Object.keys((await plain.json()) as object).sort());
    expect(body).toMatchObject({ status: 'ok', uptimeSeconds: expect.any(Number) });
  });

  test('HEAD gets the headers without a body', async () => {
    const response = await fetch(`${testApp.url}${PREFIX}/health`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('requests the aliases were not made for', () => {
  test.each(['POST', 'PUT', 'DELETE', 'PATCH'])(
    '%s is refused with 405 and Allow: GET, HEAD',
    async (method) => {
      for (const route of ['metrics', 'health']) {
        const response = await fetch(`${testApp.url}${PREFIX}/${route}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pending_events: 0 }),
        });
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, HEAD');
        expect(response.headers.get('connection')).toBe('close');
      }
    },
  );

  test('a body announced but never sent does not hold the refusal back', async () => {
    const answer = await rawExchange(
      `POST ${PREFIX}/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
  });

  test('a huge header is refused before any handler runs, and the server goes on serving', async () => {
    const answer = await rawExchange(
      `GET ${PREFIX}/metrics HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    await restMetrics();
  });

  test('paths beside the aliases are not served by them', async () => {
    for (const path of [`${PREFIX}`, `${PREFIX}/`, `${PREFIX}/metrics/`, `${PREFIX}/pets`]) {
      const response = await fetch(`${testApp.url}${path}`);
      expect(response.status, path).toBe(404);
    }
    // Sent as is (fetch would resolve the dots): the aliases match the path exactly, unresolved.
    const dotted = await rawExchange(
      `GET ${PREFIX}/metrics/../health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(dotted).not.toContain('uptimeSeconds');
    expect(dotted).not.toContain('outbox_metrics');
  });
});

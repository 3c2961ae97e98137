import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect } from 'vitest';
import { type App, buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { test } from '../support/fixtures.ts';
import { collectSubscription, graphql, wsClient } from '../support/graphql-client.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { createPetThroughApi, sseSubscribe } from './live-helpers.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type Received = {
  eventPublished: { aggregateId: string; eventType: string; cursor: string; offset: string };
};

let database: TestDatabase;
let topicPrefix: string;
let relay: { child: ChildProcess; messages: string[]; exited: Promise<number | null> };
const servers: { app: App; url: string }[] = [];

/** A GraphQL server without a relay of its own, as started with OUTBOX_RELAY_ENABLED=false. */
async function startServer(): Promise<{ app: App; url: string }> {
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    OUTBOX_RELAY_ENABLED: 'false',
    OUTBOX_METRICS_INTERVAL: '0.5',
  });
  const app = buildApp({ config, logger: createLogger(config) });
  const { url } = await app.start();
  const server = { app, url };
  servers.push(server);
  return server;
}

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  topicPrefix = randomTopicPrefix();
  // The relay runs in a process of its own (npm run relay), as it would in production.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/relay-main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_POLLING_INTERVAL: '0.2',
      OUTBOX_HEARTBEAT_INTERVAL: '0.5',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: string[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) messages.push((JSON.parse(line) as { msg: string }).msg);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  relay = { child, messages, exited };
  await waitFor(() => messages.includes('standalone relay running'), {
    timeoutMs: 30_000,
    what: 'the relay process to start',
  });
});

afterAll(async () => {
  for (const server of servers) await server.app.stop();
  if (relay && relay.child.exitCode === null) {
    relay.child.kill('SIGTERM');
    await relay.exited;
  }
});

describe('with the relay in another process and two GraphQL servers', () => {
  test('a client of one server sees events written through the other and published by the relay', async () => {
    const a = await startServer();
    const b = await startServer();
    const client = wsClient(`${a.url.replace(/^http/, 'ws')}/graphql`);
    const query = `subscription ($after: String) {
      eventPublished(after: $after, aggregateType: "pet") { aggregateId eventType cursor offset }
    }`;
    const overWs = collectSubscription<Received>(client, query, { after: '0' });
    const overSse = sseSubscribe<Received>(`${a.url}/graphql`, query, { after: '0' });
    try {
      const pet = await createPetThroughApi(`${b.url}/graphql`, {
        name: 'Far',
        species: 'cat',
        price: '10.00',
      });
      for (const subscription of [overWs, overSse]) {
        const event = await waitFor(
          () => subscription.received.find((entry) => entry.eventPublished.aggregateId === pet.id),
          { what: 'the event on server A' },
        );
        expect(event.eventPublished.eventType).toBe('pet.created');
      }
      expect(overWs.errors).toEqual([]);
      expect(overSse.errors).toEqual([]);

      // Server A runs no relay: its outboxMetrics describe the one that heartbeats in the database.
      const metrics = await waitFor(
        async () => {
          const response = await graphql<{
            outboxMetrics: { relayInstancesAlive: number; processedToday: number; kafkaStatus: string };
          }>(
            `${a.url}/graphql`,
            '{ outboxMetrics { relayInstancesAlive processedToday kafkaStatus serviceStatus running circuitState } }',
          );
          const current = response.data?.outboxMetrics;
          return current && current.processedToday === 1 && current.kafkaStatus === 'connected'
            ? current
            : null;
        },
        { what: "server A's metrics to show the relay's work" },
      );
      expect(metrics).toMatchObject({
        relayInstancesAlive: 1,
        serviceStatus: 'running',
        running: false,
        circuitState: 'closed',
      });
    } finally {
      overWs.stop();
      overSse.stop();
      await client.dispose();
    }
  });
});

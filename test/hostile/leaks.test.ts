/**
 * What an attacker can learn or break from the outside: metric labels grown from operation names,
 * /ready's details, credentials in logs and error output, GraphiQL and introspection in production.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_HEADERS, TEST_ADMIN_TOKEN } from '../support/admin.ts';
import { graphql } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { wsRequest } from './hostile-clients.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const INTROSPECTION = '{ __schema { queryType { name } } }';

let testApp: TestApp;
let production: TestApp;
let productionOptIn: TestApp;

beforeAll(async () => {
  [testApp, production, productionOptIn] = await Promise.all([
    startTestApp({ OUTBOX_RELAY_ENABLED: 'false' }),
    startTestApp({ OUTBOX_RELAY_ENABLED: 'false', NODE_ENV: 'production' }),
    startTestApp({
      OUTBOX_RELAY_ENABLED: 'false',
      NODE_ENV: 'production',
      GRAPHIQL_ENABLED: 'true',
      INTROSPECTION_ENABLED: 'true',
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([testApp?.stop(), production?.stop(), productionOptIn?.stop()]);
});

describe('metric labels from operation names', () => {
  test('hundreds of 90 kB operation names leave /metrics small and answering', async () => {
    for (let index = 0; index < 210; index += 1) {
      const name = `Op${index}_${'x'.repeat(90_000)}`;
      const response = await graphql(testApp.graphqlUrl, `query ${name} { __typename }`);
      expect(response.errors).toBeUndefined();
    }
    // An operationName that is not a GraphQL name at all (it reaches the metrics plugin as given).
    await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', operationName: '} evil="1' }),
    });
    const metrics = await fetch(`${testApp.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text.length).toBeLessThan(2 * 1024 * 1024);
    const names = [...text.matchAll(/operation_name="([^"]*)"/g)].map((match) => match[1] ?? '');
    expect(names.length).toBeGreaterThan(0);
    expect(Math.max(...names.map((name) => name.length))).toBeLessThanOrEqual(64);
    expect(text).not.toContain('evil');
  });
});

describe('/ready', () => {
  test('shows anonymous callers statuses only; an admin sees the details', async () => {
    const anonymous = (await (await fetch(`${testApp.url}/ready`)).json()) as {
      status: string;
      checks: Record<string, Record<string, unknown>>;
    };
    expect(anonymous.status).toBe('ready');
    for (const check of Object.values(anonymous.checks)) expect(Object.keys(check)).toEqual(['status']);

    const wrong = await (
      await fetch(`${testApp.url}/ready`, { headers: { authorization: 'Bearer x' } })
    ).json();
    expect(JSON.stringify(wrong)).not.toContain('latencyMs');

    const admin = (await (await fetch(`${testApp.url}/ready`, { headers: ADMIN_HEADERS })).json()) as {
      checks: Record<string, Record<string, unknown>>;
    };
    expect(admin.checks.database).toHaveProperty('latencyMs');
    expect(admin.checks.migrations).toHaveProperty('applied');
  });
});

describe('production mode', () => {
  test('GraphiQL and introspection are off unless enabled', async () => {
    const page = await fetch(production.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('graphiql');
    const introspection = await graphql(production.graphqlUrl, INTROSPECTION);
    expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await graphql(production.graphqlUrl, '{ __typename }')).data).toEqual({ __typename: 'Query' });
    const overWs = await wsRequest(production.wsUrl, INTROSPECTION);
    expect(overWs.errors?.[0]?.message).toMatch(/introspection/i);

    const optedIn = await fetch(productionOptIn.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await optedIn.text()).toContain('graphiql');
    expect((await graphql(productionOptIn.graphqlUrl, INTROSPECTION)).data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
  });

  test('a broken document over graphql-ws is a GraphQL error, not a socket closed with internal text', async () => {
    const tooManyTokens = `{ ${'__typename '.repeat(2100)}}`;
    const response = await wsRequest(production.wsUrl, tooManyTokens);
    expect(response.errors?.[0]?.message).toMatch(/Token limit of 2000 exceeded/);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('credentials in error output and logs', () => {
  const PASSWORD = 'db-pass-w0rd-never-shown';

  test('a bad configuration names the variables but prints neither passwords nor the admin token', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: `postgresql://app:${PASSWORD}@db.internal:5432`,
        ADMIN_TOKEN: 'short-secret-token',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_PASSWORD: 'kafka-secret',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const output = result.stdout + result.stderr;
    expect(result.status).not.toBe(0);
    expect(output).toContain('DATABASE_URL');
    expect(output).toContain('ADMIN_TOKEN');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain('short-secret-token');
  });

  test('a running server whose database is down logs and answers without the password or tokens', async () => {
    const dbPort = await freePort();
    let output = '';
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PORT: '0',
        LOG_LEVEL: 'trace',
        OUTBOX_RELAY_ENABLED: 'false',
        OUTBOX_METRICS_INTERVAL: '0.2',
        DATABASE_URL: `postgresql://app:${PASSWORD}@127.0.0.1:${dbPort}/petstore`,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    try {
      const url = await waitFor(() => /GraphiQL at (http:\/\/\S+)\/graphql/.exec(output)?.[1], {
        timeoutMs: 60_000,
        what: 'the server to start',
      });
      const answers: string[] = [];
      for (const headers of [{}, ADMIN_HEADERS, { authorization: 'Bearer attacker-guess-123' }]) {
        answers.push(await (await fetch(`${url}/ready`, { headers })).text());
        const created = await graphql(
          `${url}/graphql`,
          'mutation { createPet(input: {name: "A", species: "dog", price: "1.00"}) { __typename } }',
          {},
          headers,
        );
        answers.push(JSON.stringify(created));
      }
      // Let the sampler fail a few times too.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(output).toContain('ECONNREFUSED');
      for (const text of [output, ...answers]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(TEST_ADMIN_TOKEN);
        expect(text).not.toContain('attacker-guess-123');
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { DEFAULT_MIGRATIONS_DIR, listMigrationDirectories } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { ADMIN_HEADERS, TEST_ADMIN_TOKEN } from '../support/admin.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { withAdminClient } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

type Ready = {
  status: string;
  checks: Record<string, { status: string; [detail: string]: unknown }>;
};

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await withAdminClient((client) =>
    client.query(`ALTER DATABASE ${pg.escapeIdentifier(testApp.database.name)} WITH ALLOW_CONNECTIONS true`),
  ).catch(() => {});
  await testApp?.stop();
});

async function get(url: string): Promise<{ status: number; body: Ready & { uptimeSeconds?: number } }> {
  // As an admin: anonymous callers see statuses only (test/hostile/leaks.test.ts).
  const response = await fetch(url, { headers: ADMIN_HEADERS });
  expect(response.headers.get('content-type')).toBe('application/json');
  return { status: response.status, body: (await response.json()) as Ready };
}

describe('/health and /ready', () => {
  test('report a healthy, ready service with per-check detail', async () => {
    const health = await get(`${testApp.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');

    const migrations = await listMigrationDirectories(DEFAULT_MIGRATIONS_DIR);
    const ready = await waitFor(
      async () => {
        const answer = await get(`${testApp.url}/ready`);
        return answer.body.checks.broker?.status === 'up' ? answer : null;
      },
      { what: 'the relay to reach the broker' },
    );
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: {
        database: { status: 'up' },
        migrations: { status: 'up', applied: migrations.length, pending: [], failed: [], edited: [] },
        broker: { status: 'up', connected: true, circuitState: 'closed' },
        relay: { status: 'up', running: true, paused: false },
      },
    });
  });

  test('/ready fails while the database refuses connections, /health does not, and both recover', async () => {
    const name = pg.escapeIdentifier(testApp.database.name);
    await withAdminClient(async (client) => {
      await client.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
        testApp.database.name,
      ]);
    });
    try {
      // The first failing answers may report the sessions just terminated (57P01); then the refusal.
      const down = await waitFor(
        async () => {
          const answer = await get(`${testApp.url}/ready`);
          return answer.status === 503 &&
            String(answer.body.checks.database?.error).includes(testApp.database.name)
            ? answer
            : null;
        },
        { what: '/ready to fail, naming the database that refuses connections' },
      );
      expect(down.body.status).toBe('not ready');
      expect(down.body.checks.database?.status).toBe('down');
      expect(String(down.body.checks.database?.error)).toContain(testApp.database.name);
      expect(down.body.checks.migrations?.status).toBe('unknown');
      const health = await get(`${testApp.url}/health`);
      expect(health.status).toBe(200);
      // Scraping still works: the gauges keep their last reading and the failed readings are counted.
      const metrics = await fetch(`${testApp.url}/metrics`);
      expect(metrics.status).toBe(200);
    } finally {
      await withAdminClient((client) => client.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`));
    }
    await waitFor(async () => (await get(`${testApp.url}/ready`)).status === 200, {
      what: '/ready to recover',
    });
  });

  test('/ready names a migration that is not applied', async () => {
    const client = new pg.Client({ connectionString: testApp.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ migration_name: string }>(
        'DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations) RETURNING migration_name',
      );
      // A fresh process (the good answer of the running one is cached for a while).
      const config = loadConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        OUTBOX_RELAY_ENABLED: 'false',
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        DATABASE_URL: testApp.database.url,
      });
      const other = buildApp({ config, logger: createLogger(config) });
      const { url } = await other.start();
      try {
        const ready = await get(`${url}/ready`);
        expect(ready.status).toBe(503);
        expect(ready.body.checks.migrations).toMatchObject({
          status: 'down',
          pending: [rows[0]?.migration_name],
        });
        // Without a relay in the process the relay and broker are reported, not required.
        expect(ready.body.checks.relay?.status).toBe('unknown');
      } finally {
        await other.stop();
      }
    } finally {
      await client.end();
    }
  });

  test('a service started while the database is unreachable is alive but not ready', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
      });
    });
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${closedPort}/nowhere`,
    });
    const app = buildApp({ config, logger: createLogger(config) });
    const { url } = await app.start();
    try {
      expect((await get(`${url}/health`)).status).toBe(200);
      const ready = await get(`${url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database?.status).toBe('down');
      expect(String(ready.body.checks.database?.error)).toContain('ECONNREFUSED');
    } finally {
      await app.stop();
    }
  });
});

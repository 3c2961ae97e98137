import { describe, expect } from 'vitest';
import { ensureBuild } from '../../scripts/lib/build.ts';
import { test } from '../support/fixtures.ts';
import { graphql } from '../support/graphql-client.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import type { TestDatabase } from '../support/test-database.ts';

let database: TestDatabase;

test.beforeAll(({ database: fileDatabase }) => {
  database = fileDatabase;
});

describe('the service process', () => {
  test('starts, serves GraphQL, and on SIGTERM drains and exits 0', async () => {
    const service = startServiceProcess({
      DATABASE_URL: database.url,
      PORT: '0',
      KAFKA_TOPIC_PREFIX: randomTopicPrefix(),
      LOG_LEVEL: 'info',
    });
    try {
      const graphiqlUrl = await service.ready();
      const response = await graphql<{ outboxMetrics: { running: boolean } }>(
        graphiqlUrl,
        '{ outboxMetrics { running } }',
      );
      expect(response.data?.outboxMetrics.running).toBe(true);
      const health = await fetch(graphiqlUrl.replace('/graphql', '/health'));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });

      service.child.kill('SIGTERM');
      const exit = await service.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      const messages = service.lines.map((line) => line.msg);
      expect(messages).toContain('shutting down');
      expect(messages).toContain('relay stopped');
      expect(messages.at(-1)).toBe('stopped cleanly');
      expect(messages.indexOf('relay stopped')).toBeLessThan(messages.indexOf('stopped cleanly'));
    } finally {
      service.child.kill('SIGKILL');
    }
  });

  test('the production build (node dist/main.js, no tsx) serves GraphQL and GraphiQL, and stops cleanly', async () => {
    // Compiles only when dist/ is older than the sources (tsc takes half a minute or more).
    ensureBuild();
    const service = startServiceProcess(
      {
        DATABASE_URL: database.url,
        PORT: '0',
        KAFKA_TOPIC_PREFIX: randomTopicPrefix(),
        LOG_LEVEL: 'info',
      },
      'dist/main.js',
    );
    try {
      const graphiqlUrl = await service.ready();
      const created = await graphql<{ createPet: { __typename: string } }>(
        graphiqlUrl,
        'mutation { createPet(input: { name: "Built", species: "cat", price: "3.00" }) { __typename } }',
      );
      expect(created.data?.createPet.__typename).toBe('PetPayload');
      const page = await (await fetch(graphiqlUrl, { headers: { accept: 'text/html' } })).text();
      const script = /<script src="(\/graphiql\/graphiql\.[0-9a-f]+\.js)"><\/script>/.exec(page)?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(graphiqlUrl.replace('/graphql', script ?? ''));
      expect(asset.status).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
      const dashboard = await fetch(graphiqlUrl.replace('/graphql', '/'));
      expect(dashboard.status).toBe(200);

      service.child.kill('SIGTERM');
      expect(await service.exited).toEqual({ code: 0, signal: null });
      expect(service.lines.map((line) => line.msg).at(-1)).toBe('stopped cleanly');
    } finally {
      service.child.kill('SIGKILL');
    }
  }, 240_000);
});

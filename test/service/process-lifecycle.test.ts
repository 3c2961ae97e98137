import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphql } from '../support/graphql-client.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
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
});

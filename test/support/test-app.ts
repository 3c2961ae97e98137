import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type App, buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { TEST_ADMIN_TOKEN } from './admin.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export type TestApp = {
  app: App;
  config: Config;
  database: TestDatabase;
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  stop(): Promise<void>;
};

/**
 * A topic prefix of its own for one test (or one part of one), e.g. `test-3fa2c1-crash-9b1e0c2d`. Every
 * topic of a test run starts with the run's `test-<run id>-`, which the global teardown deletes.
 */
export function randomTopicPrefix(tag?: string): string {
  return `test-${inject('testRunId')}-${tag ? `${tag}-` : ''}${randomBytes(4).toString('hex')}`;
}

/** The whole service on a port of its own, with its own database and its own topics. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KAFKA_TOPIC_PREFIX: randomTopicPrefix(),
    OUTBOX_POLLING_INTERVAL: '0.2',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ...env,
    DATABASE_URL: database.url,
  });
  const app = buildApp({ config, logger: createLogger(config) });
  const { url } = await app.start();
  return {
    app,
    config,
    database,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    async stop() {
      await app.stop();
      await database.drop();
    },
  };
}

import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureGraphiQLAssets } from '../../scripts/lib/graphiql-assets.ts';
import { ensurePrismaClient } from '../../scripts/lib/prisma-client.ts';
import { ensureKafka, ensurePostgres } from '../../scripts/lib/services.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { adminDatabaseUrl, databaseUrl, withAdminClient } from '../support/test-database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    /** Every topic a test creates starts with `test-<testRunId>-` (test/support/test-app.ts). */
    testRunId: string;
  }
}

// Names of this run's own (not fixed), so two test runs on one server or broker never drop each other's.
const testRunId = randomBytes(3).toString('hex');
const templateDatabase = `petstore_test_template_${testRunId}`;

const say = (line: string) => process.stderr.write(`[test] ${line}\n`);

/**
 * Once per run of the integration tests, whether started by `npm test` or by `npx vitest` from an
 * editor: Prisma Client is generated, PostgreSQL and the Kafka broker answer (the project's own are
 * started when none is configured; a configured one that does not answer is an error naming it), and
 * a freshly migrated template database exists for the test files to copy. Test workers start after
 * this and inherit the environment set here.
 */
export async function setup(project: TestProject): Promise<void> {
  if (ensurePrismaClient()) say('generated Prisma Client');
  if (ensureGraphiQLAssets()) say("extracted GraphiQL's files");
  const serverUrl = new URL(await ensurePostgres(process.env.TEST_DATABASE_URL, say));
  serverUrl.pathname = '/postgres';
  process.env.TEST_DATABASE_URL = serverUrl.toString();
  process.env.KAFKA_BROKERS = await ensureKafka(process.env.KAFKA_BROKERS, say);

  await withAdminClient((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(templateDatabase)}`));
  await applyMigrations({ databaseUrl: databaseUrl(templateDatabase) });
  project.provide('templateDatabase', templateDatabase);
  project.provide('testRunId', testRunId);
  say(
    `template database migrated on ${new URL(adminDatabaseUrl()).host}; Kafka at ${process.env.KAFKA_BROKERS}`,
  );
}

export async function teardown(): Promise<void> {
  await withAdminClient((client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(templateDatabase)} WITH (FORCE)`),
  );
  await deleteTopicsOfThisRun();
}

/** The topics this run's tests created: the shared broker does not keep growing run after run. */
async function deleteTopicsOfThisRun(): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) return;
  const admin = new Kafka({
    clientId: 'test-teardown',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(`test-${testRunId}-`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 60_000 });
    say(`deleted the ${ours.length} topics this run created`);
  } finally {
    await admin.disconnect();
  }
}

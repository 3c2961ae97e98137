import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startKafka } from '../../scripts/kafka/broker.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { ADMIN_DATABASE_URL, databaseUrl, withAdminClient } from '../support/test-database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

// One template per run (not a fixed name), so two test runs on one server never drop each other's.
const templateDatabase = `petstore_test_template_${randomBytes(4).toString('hex')}`;

/**
 * Once per test run: the broker is up (a no-op when it already runs), and a freshly migrated
 * template database exists for the test files to copy.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!process.env.KAFKA_BROKERS || process.env.KAFKA_BROKERS === '127.0.0.1:9092') await startKafka();
  await withAdminClient((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(templateDatabase)}`));
  await applyMigrations({ databaseUrl: databaseUrl(templateDatabase) });
  project.provide('templateDatabase', templateDatabase);
  process.stderr.write(`[test] template database migrated on ${new URL(ADMIN_DATABASE_URL).host}\n`);
}

export async function teardown(): Promise<void> {
  await withAdminClient((client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(templateDatabase)} WITH (FORCE)`),
  );
}

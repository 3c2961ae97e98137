import pg from 'pg';
import { startKafka } from '../../scripts/kafka/broker.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import {
  ADMIN_DATABASE_URL,
  databaseUrl,
  TEMPLATE_DATABASE,
  withAdminClient,
} from '../support/test-database.ts';

/**
 * Once per test run: the broker is up (a no-op when it already runs), and a freshly migrated
 * template database exists for the test files to copy.
 */
export async function setup(): Promise<void> {
  if (!process.env.KAFKA_BROKERS || process.env.KAFKA_BROKERS === '127.0.0.1:9092') await startKafka();
  await withAdminClient(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(TEMPLATE_DATABASE)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(TEMPLATE_DATABASE)}`);
  });
  await applyMigrations({ databaseUrl: databaseUrl(TEMPLATE_DATABASE) });
  process.stderr.write(
    `[test] template database ${TEMPLATE_DATABASE} migrated on ${new URL(ADMIN_DATABASE_URL).host}\n`,
  );
}

/** Test databases left behind by a crashed run are dropped at the next run's end. */
export async function teardown(): Promise<void> {
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'petstore\\_test\\_%'",
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  });
}

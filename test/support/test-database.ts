import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { DEFAULT_MAINTENANCE_DATABASE_URL } from '../../src/config/default-urls.ts';

/**
 * The server's maintenance database; throwaway test databases are created from it. Read when used:
 * the global setup settles TEST_DATABASE_URL (it may start the embedded PostgreSQL) after this loads.
 */
export function adminDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_MAINTENANCE_DATABASE_URL;
}

export function databaseUrl(name: string): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export type TestDatabase = { name: string; url: string; drop(): Promise<void> };

/**
 * A fresh, migrated database of its own for one test file (the Prisma 7 pg adapter ignores
 * `?schema=`, so isolation is per database). Copying the template is much faster than migrating.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `petstore_test_${randomBytes(5).toString('hex')}`;
  // Migrated once per test run by test/setup/global-setup.ts.
  const template = inject('templateDatabase');
  await withAdminClient((client) =>
    client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`),
  );
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdminClient((client) =>
        client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

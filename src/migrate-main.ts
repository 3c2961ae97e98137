/**
 * npm run db:migrate (`node dist/migrate-main.js` in a production install) — creates the database if
 * it is missing and applies prisma/migrations through the pg driver (src/db/migrate.ts), recording
 * them in _prisma_migrations as `prisma migrate deploy` would.
 *   DATABASE_URL  defaults to DEFAULT_DATABASE_URL (src/config/default-urls.ts)
 * Prints one line per migration applied, or "up to date"; exits 1 with the reason on failure.
 */
import { DEFAULT_DATABASE_URL } from './config/default-urls.ts';
import { applyMigrations, createDatabaseIfMissing } from './db/migrate.ts';

/** The database's name and host only: the URL may carry a password. */
function describeDatabase(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.pathname.replace(/^\//, '')} on ${url.host}`;
}

async function main(): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (await createDatabaseIfMissing(databaseUrl)) {
    console.log(`created database ${describeDatabase(databaseUrl)}`);
  }
  const { applied } = await applyMigrations({ databaseUrl });
  if (applied.length === 0) {
    console.log(`up to date: ${describeDatabase(databaseUrl)}`);
  }
  for (const name of applied) console.log(`applied ${name}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:migrate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

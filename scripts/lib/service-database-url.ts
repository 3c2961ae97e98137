import { DEFAULT_DATABASE_URL } from '../../src/config/default-urls.ts';
import { embeddedPostgresStatus } from './embedded-postgres.ts';
import { postgresProblem } from './postgres-probe.ts';

/**
 * The database `npm start` uses, found the way it finds it, without starting anything: DATABASE_URL when
 * set; else the default address when it answers; else the embedded PostgreSQL when it runs.
 */
export async function serviceDatabaseUrl(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; problem: string | null }> {
  if (env.DATABASE_URL) {
    // The design document's `postgresql+asyncpg://` form, as the service accepts it.
    const url = env.DATABASE_URL.replace(/^postgres(ql)?\+\w+:\/\//, 'postgresql://');
    return { url, problem: await postgresProblem(url) };
  }
  const problem = await postgresProblem(DEFAULT_DATABASE_URL);
  if (problem === null) return { url: DEFAULT_DATABASE_URL, problem };
  const embedded = embeddedPostgresStatus().running;
  if (embedded) return { url: embedded.url, problem: await postgresProblem(embedded.url) };
  return {
    url: DEFAULT_DATABASE_URL,
    problem: `${problem}; the embedded PostgreSQL is not running either (npm run db:start, or npm start, starts it)`,
  };
}

import pg from 'pg';

/**
 * Null when the PostgreSQL server of `databaseUrl` answers (through its `postgres` maintenance
 * database, so the named database need not exist yet), else why not.
 */
export async function postgresProblem(databaseUrl: string, timeoutMs = 3000): Promise<string | null> {
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: maintenance.toString(),
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => {}); // the failed query reports it; an unheard 'error' event would crash
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

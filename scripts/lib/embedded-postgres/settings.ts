import path from 'node:path';
import { freePort } from '../free-port.ts';
import { portInUse } from '../port-in-use.ts';
import { repoRoot } from '../repo-path.ts';

export const HOST = '127.0.0.1'; // never "localhost": Node may try ::1 first and the server listens on IPv4 only
const DEFAULT_PORT = 5432;
export const USER = 'postgres';
// Same credentials as docker-compose.yml. The server only listens on 127.0.0.1; this is a dev/test database.
export const PASSWORD = 'postgres';
export const DATABASE = 'petstore';
export const START_TIMEOUT_S = 60;
export const MAX_LOG_BYTES = 10 * 1024 * 1024;

export type Say = (line: string) => void;

/** Everything lives under EMBEDDED_POSTGRES_DIR (default <repo>/.postgres) and survives restarts. */
export function embeddedPaths() {
  const home = path.resolve(repoRoot, process.env.EMBEDDED_POSTGRES_DIR || '.postgres');
  return {
    home,
    data: path.join(home, 'data'),
    log: path.join(home, 'postgres.log'),
    /** Fallback home for shared-library symlinks when node_modules is read-only (see hydrateSymlinks). */
    lib: path.join(home, 'lib'),
  };
}
export type EmbeddedPaths = ReturnType<typeof embeddedPaths>;

export function databaseUrl(port: number): string {
  return `postgresql://${USER}:${PASSWORD}@${HOST}:${port}/${DATABASE}`;
}

/** EMBEDDED_POSTGRES_PORT, when set. */
export function forcedPort(): number | undefined {
  const raw = process.env.EMBEDDED_POSTGRES_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`EMBEDDED_POSTGRES_PORT must be a TCP port number, got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** The forced port, else PostgreSQL's usual one when it is free, else any free port. */
export async function choosePort(): Promise<number> {
  const forced = forcedPort();
  if (forced !== undefined) {
    if (!(await portInUse(HOST, forced))) return forced;
    throw new Error(
      `${HOST}:${forced} (EMBEDDED_POSTGRES_PORT) is taken; choose a free port, or set DATABASE_URL to a ` +
        'PostgreSQL of your own',
    );
  }
  return (await portInUse(HOST, DEFAULT_PORT)) ? freePort(HOST) : DEFAULT_PORT;
}

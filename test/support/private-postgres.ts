import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, stopEmbeddedPostgres } from '../../scripts/lib/embedded-postgres.ts';
import { freePort } from '../../scripts/lib/free-port.ts';

export type PrivatePostgres = {
  /** postgresql://… of its `petstore` database. */
  url: string;
  /** A fast shutdown (`pg_ctl stop -m fast`: open sessions are terminated with 57P01), then a start. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
};

/**
 * A PostgreSQL server of the test's own (the embedded-postgres binaries), in a scratch directory on a
 * free port: a test may stop and restart it without touching the machine's shared server.
 *
 * The embedded-postgres module takes its directory and port from the environment; a vitest file runs
 * in a worker of its own, so setting them here affects this file only.
 */
export async function startPrivatePostgres(say: (line: string) => void = () => {}): Promise<PrivatePostgres> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'petstore-pg-'));
  fs.chmodSync(home, 0o755);
  process.env.EMBEDDED_POSTGRES_DIR = home;
  process.env.EMBEDDED_POSTGRES_PORT = String(await freePort());
  const url = await startEmbeddedPostgres(say);
  return {
    url,
    async stop() {
      await stopEmbeddedPostgres();
    },
    async start() {
      await startEmbeddedPostgres(say);
    },
    async destroy() {
      await stopEmbeddedPostgres().catch(() => {});
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

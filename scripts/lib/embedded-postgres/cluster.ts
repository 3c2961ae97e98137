import fs from 'node:fs';
import path from 'node:path';
import { execFileAsync } from '../process/exec.ts';
import { displayPath } from '../repo-path.ts';
import type { Binaries } from './binaries.ts';
import type { OsUser } from './os-user.ts';
import { type EmbeddedPaths, PASSWORD, type Say, USER } from './settings.ts';

/** Runs one of the binaries (as `user` when given), with C messages whatever the caller's locale. */
export async function run(file: string, args: string[], bin: Binaries, user: OsUser | undefined) {
  return execFileAsync(file, args, {
    env: { ...process.env, ...bin.env, LC_ALL: 'C' },
    maxBuffer: 16 * 1024 * 1024,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}

/** Creates the cluster on first start, or when the binaries are of another major version than the data. */
export async function ensureInitialised(p: EmbeddedPaths, bin: Binaries, user: OsUser | undefined, say: Say) {
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
    say(`${displayPath(p.data)} was made by PostgreSQL ${dataMajor}; moved it to ${displayPath(aside)}`);
  } else {
    fs.rmSync(p.data, { recursive: true, force: true }); // not a cluster: leftovers of an older layout
  }

  say(`initialising a PostgreSQL ${bin.version} cluster in ${displayPath(p.data)} (first start only)`);
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

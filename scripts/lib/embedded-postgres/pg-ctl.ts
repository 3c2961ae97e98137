import { spawn } from 'node:child_process';
import type { Binaries } from './binaries.ts';
import type { OsUser } from './os-user.ts';
import { type EmbeddedPaths, HOST, START_TIMEOUT_S } from './settings.ts';

/**
 * `pg_ctl start -w`: runs the postmaster through `sh -c "exec postgres ... < /dev/null >> log 2>&1"` in a
 * new session (setsid), waits until postmaster.pid says "ready", and exits. The postmaster is then nobody's
 * child here, holds none of our file descriptors, and outlives this process. detached: true also keeps
 * pg_ctl itself out of our process group, so a Ctrl-C during the wait does not reach it.
 */
export async function pgCtlStart(p: EmbeddedPaths, bin: Binaries, user: OsUser | undefined, port: number) {
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

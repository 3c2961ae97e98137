import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive, waitUntilGone } from '../process/process-alive.ts';
import type { EmbeddedPaths } from './settings.ts';

/**
 * Whether our server runs, from PostgreSQL's own postmaster.pid in the data directory: pid, data dir,
 * start time, port, socket dir, listen address, shared memory key, status ("starting", "ready", "stopping").
 */

export interface RunningServer {
  pid: number;
  port: number;
}

/**
 * A stale postmaster.pid (server killed, machine rebooted) may name a pid reused by another process,
 * even another PostgreSQL. The postmaster keeps its original command line, which names the data dir.
 */
export function isOurPostmaster(pid: number, dataDir: string): boolean {
  return isProcessAlive(pid, (commandLine) => commandLine.includes(dataDir));
}

export function runningServer(p: EmbeddedPaths): RunningServer | undefined {
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
export async function waitForDeadPostmaster(p: EmbeddedPaths): Promise<void> {
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

/**
 * SIGINT is PostgreSQL's "fast" shutdown (what `pg_ctl stop` does by default: roll back open
 * transactions, disconnect clients, checkpoint); signalling directly works for root as well, unlike
 * pg_ctl. SIGQUIT after a minute is the "immediate" one: the next start runs crash recovery.
 */
export async function stopPostmaster(p: EmbeddedPaths, server: RunningServer): Promise<void> {
  const alive = () => isOurPostmaster(server.pid, p.data);
  process.kill(server.pid, 'SIGINT');
  if (await waitUntilGone(alive, 60_000)) return;
  process.kill(server.pid, 'SIGQUIT');
  if (!(await waitUntilGone(alive, 10_000))) {
    throw new Error(`embedded PostgreSQL (pid ${server.pid}) does not stop`);
  }
}

import fs from 'node:fs';
import { isProcessAlive } from '../../lib/process/process-alive.ts';
import type { KafkaPaths } from './instance.ts';

/** What the broker left on disk: its pid file, and the marker of the Kafka version that formatted its data. */

function readPid(p: KafkaPaths): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(p.pidFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The broker JVM runs as `pid` (not a process that reused the pid of a broker gone since). */
export function isBrokerAlive(pid: number): boolean {
  return isProcessAlive(pid, (commandLine) => commandLine.includes('kafka.Kafka'));
}

/** Pid of the broker this module started, if still alive; removes a stale pid file. */
export function managedPid(p: KafkaPaths): number | undefined {
  const pid = readPid(p);
  if (pid === undefined) return undefined;
  if (isBrokerAlive(pid)) return pid;
  fs.rmSync(p.pidFile, { force: true });
  return undefined;
}

/** The Kafka version that formatted the data dir. */
export function formattedVersion(p: KafkaPaths): string | undefined {
  try {
    return fs.readFileSync(p.formattedMarker, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

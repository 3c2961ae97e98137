import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * True when `pid` runs and is still the process we mean. A pid file can outlive its process and the
 * pid be reused, so on Linux the process's command line must also pass `isOurs` (a zombie's is empty,
 * so it counts as gone). Without /proc (macOS) a live pid is trusted.
 */
export function isProcessAlive(pid: number, isOurs: (commandLine: string[]) => boolean): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return isOurs(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
  } catch {
    return true;
  }
}

/** Waits until `alive()` turns false; false when it is still alive after `timeoutMs`. */
export async function waitUntilGone(alive: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) return true;
    await sleep(100);
  }
  return !alive();
}

/** Sends `signal` and waits for the process to go; true when it is gone (or was already). */
export async function signalAndWait(
  pid: number,
  signal: NodeJS.Signals,
  alive: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return true;
  }
  return waitUntilGone(alive, timeoutMs);
}

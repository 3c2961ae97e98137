import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { peakRssBytes } from './process-memory.ts';
import { REPO_ROOT } from './repo-paths.ts';

export type ServiceProcess = {
  readonly pid: number;
  readonly label: string;
  readonly logFile: string;
  /** Peak RSS so far (VmHWM); after stop(), the peak over the process's whole life. */
  peakRssBytes(): number | null;
  /** SIGTERM (the service's clean shutdown), SIGKILL if it hangs; resolves with the final peak RSS. */
  stop(): Promise<number | null>;
};

/** The service's own settings: never inherited from the shell, so every run sees the same configuration. */
const SERVICE_VARIABLE = /^(DATABASE_URL|KAFKA_|OUTBOX_|PORT$|HOST$|LOG_|SERVICE_NAME$)/;

export function serviceEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !SERVICE_VARIABLE.test(name)),
  );
  return { ...inherited, ...overrides };
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts an entry point, a .js file on plain node or a .ts file the way `node --import tsx` runs it
 * (one process either way, so its pid is the service's own and its RSS is the service's), logs into a
 * file (the harness never parses the log stream while measuring), and waits until `ready()` says so.
 */
export async function startServiceProcess({
  label,
  entry,
  env,
  logFile,
  ready,
  readyTimeoutMs = 90_000,
  cpuProfDir,
  nodeFlags = [],
}: {
  label: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Polled until true; gets the log written so far. */
  ready: (log: () => string) => Promise<boolean> | boolean;
  readyTimeoutMs?: number;
  cpuProfDir?: string;
  /** V8 flags, e.g. the service's own (scripts/lib/service-node-flags.ts). */
  nodeFlags?: readonly string[];
}): Promise<ServiceProcess> {
  const fd = openSync(logFile, 'a');
  // A directory per process: every thread (tsx's loader runs in one of its own) writes a profile; the
  // main thread's is the largest.
  const profiling = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, label)}`] : [];
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, ...profiling, ...loader, entry], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${label}: could not start ${entry}`);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve();
    }),
  );
  let lastPeak: number | null = null;
  const readPeak = () => {
    if (exitCode === undefined) lastPeak = peakRssBytes(pid) ?? lastPeak;
    return lastPeak;
  };
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `${label} exited (code ${exitCode}) before it was ready; log ${logFile}:\n${tail(logFile)}`,
      );
    }
    if (await ready(log)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${label} not ready after ${readyTimeoutMs / 1000} s; log ${logFile}:\n${tail(logFile)}`,
      );
    }
    await sleep(100);
  }

  return {
    pid,
    label,
    logFile,
    peakRssBytes: readPeak,
    async stop() {
      const peak = readPeak();
      if (exitCode !== undefined) return peak;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
      return peak;
    },
  };
}

/** The relay logs this line once it is connected to Kafka and polling. */
export const relayStarted = (log: () => string) => log().includes('relay started');

export async function httpAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

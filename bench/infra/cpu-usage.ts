import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ): 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

export type CpuUsage = {
  /** The whole machine's busy share over the window, 0–100 % of all cores. */
  machineBusyPercent: number | null;
  /** CPU each watched process used, in cores (1.0 = one core busy the whole window). */
  processCores: Record<string, number | null>;
};

function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return null;
  }
}

/** Every process whose command name is `name` (e.g. PostgreSQL's backends are all `postgres`). */
export function pidsNamed(name: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/**
 * PostgreSQL's processes working for one database: its client backends, their parallel workers, and
 * the server's shared background processes (WAL writer, checkpointer, autovacuum...). Backends of
 * other databases (other people's tests on a shared machine) are left out.
 */
export function postgresPidsFor(database: string): number[] {
  const backend = /^postgres: [^:]+: \S+ (\S+) \S+\(\d+\)/;
  const mine = new Set<number>();
  const workers: { pid: number; leader: number }[] = [];
  for (const pid of pidsNamed('postgres')) {
    const line = commandLine(pid);
    const worker = /parallel worker for PID (\d+)/.exec(line);
    if (worker) {
      workers.push({ pid, leader: Number(worker[1]) });
      continue;
    }
    const client = backend.exec(line);
    if (!client || client[1] === database) mine.add(pid);
  }
  for (const { pid, leader } of workers) if (mine.has(leader)) mine.add(pid);
  return [...mine];
}

function groupTicks(pids: number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    const value = processTicks(pid);
    if (value !== null) ticks.set(pid, value);
  }
  return ticks;
}

/**
 * Starts a CPU account of the machine and of some processes (Linux /proc); `stop()` says how busy
 * they were in between. It tells whether a scenario was bound by CPU, and by whose.
 */
export function watchCpu(
  processes: Record<string, number>,
  /** Groups of processes found anew at start and stop (backends come and go), e.g. PostgreSQL's. */
  groups: Record<string, () => number[]> = {},
): { stop(): CpuUsage } {
  const groupStart = Object.fromEntries(
    Object.entries(groups).map(([name, find]) => [name, groupTicks(find())]),
  );
  const startedAt = performance.now();
  const machineStart = machineTicks();
  const processStart = Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [name, processTicks(pid)]),
  );
  return {
    stop() {
      const seconds = (performance.now() - startedAt) / 1000;
      const machineEnd = machineTicks();
      const machineBusyPercent =
        machineStart && machineEnd && machineEnd.total > machineStart.total
          ? ((machineEnd.busy - machineStart.busy) / (machineEnd.total - machineStart.total)) * 100
          : null;
      const processCores: Record<string, number | null> = {};
      for (const [name, pid] of Object.entries(processes)) {
        const start = processStart[name];
        const end = processTicks(pid);
        processCores[name] =
          start === null || start === undefined || end === null
            ? null
            : (end - start) / TICKS_PER_SECOND / seconds;
      }
      for (const [name, find] of Object.entries(groups)) {
        const before = groupStart[name] ?? new Map<number, number>();
        let ticks = 0;
        for (const [pid, value] of groupTicks(find())) ticks += value - (before.get(pid) ?? 0);
        processCores[name] = ticks / TICKS_PER_SECOND / seconds;
      }
      return { machineBusyPercent, processCores };
    },
  };
}

/** PostgreSQL (this database's share) and the Kafka broker (the machine's JVMs), watched in every scenario. */
export function infrastructureGroups(database: string): Record<string, () => number[]> {
  return { postgres: () => postgresPidsFor(database), kafka: () => pidsNamed('java') };
}

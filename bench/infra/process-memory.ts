import { readFileSync } from 'node:fs';

/**
 * Peak resident set size of a process so far (Linux's VmHWM, "high water mark"), in bytes: the
 * kernel keeps it, so no sampling can miss a short spike. Null where /proc does not exist.
 */
export function peakRssBytes(pid: number): number | null {
  return readStatusField(pid, 'VmHWM');
}

export function currentRssBytes(pid: number): number | null {
  return readStatusField(pid, 'VmRSS');
}

function readStatusField(pid: number, field: string): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

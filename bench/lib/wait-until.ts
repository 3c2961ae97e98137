import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `done()`; false when `timeoutMs` passed first (the caller reports what is missing). */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 50 }: { timeoutMs: number; intervalMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

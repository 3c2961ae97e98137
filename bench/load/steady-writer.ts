import { setTimeout as sleep } from 'node:timers/promises';

export type SteadyWriteResult<T> = {
  /** Every request, in the order sent, with wall-clock times (epoch ms, sub-millisecond). */
  requests: { index: number; sentAtMs: number; doneAtMs: number; outcome: T }[];
  seconds: number;
  /** Requests that had to wait for a free slot: the service did not keep up with the rate. */
  delayed: number;
};

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the database's timestamps. */
export const nowMs = () => performance.timeOrigin + performance.now();

/**
 * An open-loop writer: requests go out on a schedule (`rate` per second), whether or not earlier ones
 * have been answered, as independent users would send them; a slow answer does not slow the next
 * request down (a closed loop would hide that). At most `maxOutstanding` are in flight, so a stalled
 * service is reported (`delayed`) instead of buried under sockets.
 */
export async function writeSteadily<T>({
  rate,
  seconds,
  send,
  maxOutstanding = 512,
}: {
  rate: number;
  seconds: number;
  send: (index: number) => Promise<T>;
  maxOutstanding?: number;
}): Promise<SteadyWriteResult<T>> {
  const total = Math.round(rate * seconds);
  const requests: SteadyWriteResult<T>['requests'] = [];
  const inFlight = new Set<Promise<void>>();
  let delayed = 0;
  const started = performance.now();
  for (let index = 0; index < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (index < due) {
      if (inFlight.size >= maxOutstanding) {
        delayed += 1;
        await Promise.race(inFlight);
        continue;
      }
      const sentAtMs = nowMs();
      const current = index;
      const request = send(current).then((outcome) => {
        requests.push({ index: current, sentAtMs, doneAtMs: nowMs(), outcome });
        inFlight.delete(request);
      });
      inFlight.add(request);
      index += 1;
    }
    await sleep(Math.max(1, 1000 / rate));
  }
  await Promise.all(inFlight);
  requests.sort((a, b) => a.index - b.index);
  return { requests, seconds: (performance.now() - started) / 1000, delayed };
}

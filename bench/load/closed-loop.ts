import { LatencyHistogram } from '../lib/latency-histogram.ts';
import { rateSeries, type SeriesPoint } from '../lib/series.ts';
import { nowMs } from './steady-writer.ts';

export type ClosedLoopResult = {
  concurrency: number;
  /** The measured window, after the warm-up. */
  seconds: number;
  completed: number;
  errors: number;
  firstError: string | null;
  requestsPerSecond: number;
  latency: LatencyHistogram;
  series: SeriesPoint[];
};

/**
 * `concurrency` clients, each sending its next request as soon as the previous one is answered, for
 * a warm-up (not counted: connections, JIT, pools) and then `seconds`. Throughput is what completed
 * inside the window, latency is that of those requests.
 */
export async function runClosedLoop({
  concurrency,
  seconds,
  warmupSeconds,
  send,
  onProgress = () => {},
}: {
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  /** Every 5 s: requests completed inside the window so far. */
  onProgress?: (completed: number) => void;
  /** Returns an error message, or null on success. */
  send: (index: number) => Promise<string | null>;
}): Promise<ClosedLoopResult> {
  const latency = new LatencyHistogram();
  const completions: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let next = 0;
  const warmupEnds = nowMs() + warmupSeconds * 1000;
  const ends = warmupEnds + seconds * 1000;
  async function client(): Promise<void> {
    while (nowMs() < ends) {
      const started = nowMs();
      const error = await send(next++);
      const done = nowMs();
      if (started < warmupEnds || done > ends) continue;
      if (error !== null) {
        errors += 1;
        firstError ??= error;
        continue;
      }
      latency.record(done - started);
      completions.push(done);
    }
  }
  const ticker = setInterval(() => onProgress(completions.length), 5000);
  try {
    await Promise.all(Array.from({ length: concurrency }, client));
  } finally {
    clearInterval(ticker);
  }
  return {
    concurrency,
    seconds,
    completed: completions.length,
    errors,
    firstError,
    requestsPerSecond: completions.length / seconds,
    latency,
    series: rateSeries(completions, warmupEnds, seconds > 10 ? 1 : 0.25),
  };
}

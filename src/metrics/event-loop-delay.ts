import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** How often Node's monitor ticks; what it records is the time between ticks, so this much is "no delay". */
const RESOLUTION_MS = 10;
/** The "recent" window: each of its two monitors is reset every minute, half a minute apart. */
const RECENT_RESET_MS = 60_000;

/** Delay beyond the tick itself, in seconds; NaN before the first tick. */
function delaySeconds(histogram: IntervalHistogram, read: (histogram: IntervalHistogram) => number): number {
  if (histogram.count === 0) return Number.NaN;
  return Math.max(0, read(histogram) / 1e9 - RESOLUTION_MS / 1000);
}

/**
 * The event loop's delay (perf_hooks.monitorEventLoopDelay): how late a timer due every 10 ms ran.
 * Anything that holds the loop (a long GraphQL execution, a big JSON encoding, a burst of sends)
 * shows here, and everything else the process does waits that long, database connections included.
 *
 * Two windows, as the `window` label: "recent" (the last 30 to 60 s, for dashboards and alerts:
 * two monitors reset half a minute apart, the older one is read) and "process" (since the process
 * started, which the benchmark reads at the end of a scenario). prom-client's own
 * nodejs_eventloop_lag_* restart at every scrape, so they depend on who scrapes how often.
 */
export function createEventLoopDelayMetrics(registers: Registry[]): { close(): void } {
  const whole = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const recent = [
    monitorEventLoopDelay({ resolution: RESOLUTION_MS }),
    monitorEventLoopDelay({ resolution: RESOLUTION_MS }),
  ] as const;
  for (const monitor of [whole, ...recent]) monitor.enable();
  let nextToReset = 0;
  const rotation = setInterval(() => {
    recent[nextToReset]?.reset();
    nextToReset = 1 - nextToReset;
  }, RECENT_RESET_MS / 2);
  rotation.unref();
  // The one not reset most recently covers more time.
  const windows = () => ({ recent: recent[nextToReset] as IntervalHistogram, process: whole });

  const gauge = (name: string, help: string, read: (histogram: IntervalHistogram) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['window'] as const,
      registers,
      collect() {
        for (const [window, histogram] of Object.entries(windows())) {
          this.set({ window }, delaySeconds(histogram, read));
        }
      },
    });
  gauge(
    'petstore_event_loop_delay_p99_seconds',
    'Event-loop delay p99 (monitorEventLoopDelay, beyond its 10 ms tick): window="recent" (last 30-60 s) or "process" (since start).',
    (histogram) => histogram.percentile(99),
  );
  gauge(
    'petstore_event_loop_delay_max_seconds',
    'Longest event-loop delay (beyond the 10 ms tick): window="recent" (last 30-60 s) or "process" (since start).',
    (histogram) => histogram.max,
  );

  return {
    close() {
      clearInterval(rotation);
      for (const monitor of [whole, ...recent]) monitor.disable();
    },
  };
}

import type { BenchOptions } from './options.ts';

/** Rough rates of this kind of machine (2 cores), to tell the user up front how long a run takes. */
const ASSUMED = {
  backlogWritePerSecond: 20_000,
  drainPerSecond: 3000,
  processStartSeconds: 4,
  producerPerSecond: 100_000,
  /** Subscription deliveries per second the service manages (measured: about 20,000 with 500 subscribers). */
  deliveriesPerSecond: 20_000,
};

function drainSeconds(events: number, instances: number): number {
  return (
    ASSUMED.processStartSeconds * instances +
    events / ASSUMED.backlogWritePerSecond +
    events / ASSUMED.drainPerSecond +
    3
  );
}

export function estimateSeconds(options: BenchOptions, batchSize: number): number {
  const selected = new Set(options.scenarios);
  let total = 5;
  if (selected.has('drain')) {
    total += drainSeconds(options.drainEvents, 1);
    total += 2 * (3 + options.drainEvents / ASSUMED.producerPerSecond);
  }
  if (selected.has('naive')) {
    total += 2 * (options.drainEvents / ASSUMED.backlogWritePerSecond + options.naiveSeconds + 4);
  }
  if (selected.has('latency'))
    total += ASSUMED.processStartSeconds + options.warmupSeconds + options.latencySeconds + 8;
  if (selected.has('mutations'))
    total += ASSUMED.processStartSeconds + 2 * (options.warmupSeconds + options.mutationSeconds) + 3;
  if (selected.has('fanout')) {
    const deliveries = options.fanoutSubscribers * options.fanoutRate * options.fanoutSeconds;
    total += ASSUMED.processStartSeconds + options.fanoutSubscribers / 50 + 10;
    total += Math.max(options.fanoutSeconds, deliveries / ASSUMED.deliveriesPerSecond);
  }
  if (selected.has('scale')) {
    const headline = selected.has('drain') ? { events: options.drainEvents, instances: 1, batchSize } : null;
    const runs = [
      ...options.relayInstances.map((instances) => ({ events: options.scaleEvents, instances, batchSize })),
      ...options.batchSizes.map((size) => ({ events: options.scaleEvents, instances: 1, batchSize: size })),
      ...options.costCurve.map((events) => ({ events, instances: 1, batchSize })),
    ];
    for (const run of runs) {
      const reused =
        headline &&
        headline.events === run.events &&
        headline.instances === run.instances &&
        headline.batchSize === run.batchSize;
      if (!reused) total += drainSeconds(run.events, run.instances);
    }
  }
  return total;
}

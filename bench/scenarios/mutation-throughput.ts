import { allTopics } from '../../src/outbox/topics.ts';
import { type CpuUsage, infrastructureGroups, watchCpu } from '../infra/cpu-usage.ts';
import { type EventLoopDelay, type HeapStats, startServer } from '../infra/service-launcher.ts';
import type { Percentiles } from '../lib/latency-histogram.ts';
import { formatCount, formatMs, formatRate } from '../lib/progress.ts';
import type { SeriesPoint } from '../lib/series.ts';
import { createBareDriverWriter } from '../load/bare-driver-writer.ts';
import { type ClosedLoopResult, runClosedLoop } from '../load/closed-loop.ts';
import { createPetClient } from '../load/create-pet-client.ts';
import { type BenchContext, topicPrefixFor } from './bench-context.ts';

export type LoadSummary = {
  requestsPerSecond: number;
  completed: number;
  errors: number;
  firstError: string | null;
  latency: Percentiles;
  series: SeriesPoint[];
  /** During the run, warm-up included. */
  cpu: CpuUsage;
};

export type MutationResult = {
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  /** createPet over HTTP against the whole service, its relay publishing meanwhile. */
  api: LoadSummary;
  /** The same transactions through the bare pg driver, same concurrency, same database, relay still running. */
  bareDriver: LoadSummary;
  apiToBareDriver: number;
  peakRssBytes: number | null;
  idleRssBytes: number | null;
  serverHeap: HeapStats | null;
  serverEventLoopDelay: EventLoopDelay | null;
};

function summarise(result: ClosedLoopResult, cpu: CpuUsage): LoadSummary {
  return {
    cpu,
    requestsPerSecond: result.requestsPerSecond,
    completed: result.completed,
    errors: result.errors,
    firstError: result.firstError,
    latency: result.latency.summary(),
    series: result.series,
  };
}

/**
 * Mutation throughput: `concurrency` closed-loop clients calling createPet over HTTP while the relay
 * publishes what they write; then, on the same database with the same service still running (so its
 * relay publishes those rows too and the machine carries the same background work), the same
 * transactions through the bare driver. The ratio is what the API stack costs.
 */
export async function runMutationThroughput(context: BenchContext): Promise<MutationResult> {
  const { options, progress } = context;
  const db = await context.databases.create('mutations');
  const topicPrefix = topicPrefixFor('mutations');
  const server = await startServer(context, 'mutations-server', { databaseUrl: db.url, topicPrefix });
  const client = createPetClient(server.graphqlUrl, { sockets: options.mutationConcurrency });
  const bare = createBareDriverWriter({
    databaseUrl: db.url,
    connections: options.mutationConcurrency,
    topicPrefix,
  });
  const window = {
    concurrency: options.mutationConcurrency,
    seconds: options.mutationSeconds,
    warmupSeconds: options.warmupSeconds,
  };
  const tick = (what: string) => (completed: number) =>
    progress.say(`${what}: ${formatCount(completed)} completed so far`);
  try {
    progress.say(
      `createPet over HTTP: ${window.concurrency} clients for ${window.seconds} s (+${window.warmupSeconds} s warm-up)`,
    );
    let cpu = watchCpu({ server: server.pid, harness: process.pid }, infrastructureGroups(db.name));
    const api = await runClosedLoop({
      ...window,
      send: async (index) => {
        const outcome = await client.createPet(index);
        return outcome.ok ? null : outcome.error;
      },
      onProgress: tick('createPet'),
    });
    const apiCpu = cpu.stop();
    // Read now: the bare-driver phase that follows leaves the server nearly idle, which would dilute it.
    const serverEventLoopDelay = await server.eventLoopDelay();
    progress.say(
      `createPet: ${formatRate(api.requestsPerSecond)}, p50 ${formatMs(api.latency.percentile(50))}, p99 ${formatMs(api.latency.percentile(99))}, errors ${api.errors}`,
    );
    progress.say(
      `bare pg driver: the same transactions, ${window.concurrency} connections for ${window.seconds} s`,
    );
    cpu = watchCpu({ server: server.pid, harness: process.pid }, infrastructureGroups(db.name));
    const bareResult = await runClosedLoop({
      ...window,
      send: (index) => bare.insert(1_000_000 + index),
      onProgress: tick('bare driver'),
    });
    const bareCpu = cpu.stop();
    progress.say(
      `bare driver: ${formatRate(bareResult.requestsPerSecond)}, p50 ${formatMs(bareResult.latency.percentile(50))}, p99 ${formatMs(bareResult.latency.percentile(99))}`,
    );
    const serverHeap = await server.heapStats();
    const peakRssBytes = await server.stop();
    return {
      ...window,
      api: summarise(api, apiCpu),
      bareDriver: summarise(bareResult, bareCpu),
      apiToBareDriver: api.requestsPerSecond / bareResult.requestsPerSecond,
      peakRssBytes,
      idleRssBytes: server.idleRssBytes,
      serverHeap,
      serverEventLoopDelay,
    };
  } finally {
    client.close();
    await bare.close().catch(() => {});
    await server.stop().catch(() => null);
    await context.kafkaTopics.delete(allTopics(topicPrefix)).catch(() => {});
    await db.drop();
  }
}

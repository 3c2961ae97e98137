import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { allTopics } from '../../src/outbox/topics.ts';
import type {
  FromSubscribers,
  SubscribersReport,
  SubscribersStatus,
  ToSubscribers,
} from '../fanout/fan-out-protocol.ts';
import { type CpuUsage, infrastructureGroups, watchCpu } from '../infra/cpu-usage.ts';
import { REPO_ROOT } from '../infra/repo-paths.ts';
import {
  type EventLoopDelay,
  type HeapStats,
  startServerAndStandaloneRelay,
} from '../infra/service-launcher.ts';
import { LatencyHistogram, type Percentiles } from '../lib/latency-histogram.ts';
import { formatCount, formatMs, formatRate } from '../lib/progress.ts';
import { waitUntil } from '../lib/wait-until.ts';
import { createPetClient } from '../load/create-pet-client.ts';
import { writeSteadily } from '../load/steady-writer.ts';
import { type BenchContext, logFileFor, topicPrefixFor } from './bench-context.ts';

export type FanOutResult = {
  subscribers: number;
  targetRate: number;
  seconds: number;
  written: number;
  writeErrors: number;
  achievedRate: number;
  /** createPet on the same server meanwhile, from sending to the answer (successful calls). */
  writeLatency: Percentiles;
  /** Subscriber × event pairs expected, delivered, and never delivered (within the grace period). */
  expectedDeliveries: number;
  deliveries: number;
  missed: number;
  subscribersMissingEvents: number;
  duplicates: number;
  /** Deliveries that did not come after the subscriber's previous one (publication order). */
  outOfOrder: number;
  /** From the event's created_at (its transaction's start) to its arrival at a subscriber. */
  latency: Percentiles;
  firstErrors: string[];
  peakRssBytes: number | null;
  idleRssBytes: number | null;
  relayPeakRssBytes: number | null;
  serverHeap: HeapStats | null;
  serverEventLoopDelay: EventLoopDelay | null;
  subscriberProcessPeakRssBytes: number;
  firstWriteError: string | null;
  /** From the start of the load until the last delivery (or the quiet period). */
  cpu: CpuUsage;
};

/** After the load, how long deliveries may still trickle in before what is missing counts as missed. */
const QUIET_PERIOD_MS = 15_000;

function startSubscribers(context: BenchContext, wsUrl: string, count: number) {
  const fd = openSync(logFileFor(context, 'fanout-subscribers'), 'a');
  // Profiled with the services under --cpu-prof: the subscribers share the machine with the server,
  // so what they spend is CPU the server does not get.
  const profiling = context.profilesDir
    ? ['--cpu-prof', `--cpu-prof-dir=${join(context.profilesDir, 'fanout-subscribers')}`]
    : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...profiling, '--import', 'tsx', `${REPO_ROOT}bench/fanout/subscribers-main.ts`],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, WS_URL: wsUrl, SUBSCRIBERS: String(count) },
      stdio: ['ignore', fd, fd, 'ipc'],
    },
  );
  closeSync(fd);
  const waiters: ((message: FromSubscribers) => boolean)[] = [];
  child.on('message', (message: FromSubscribers) => {
    const index = waiters.findIndex((accepts) => accepts(message));
    if (index >= 0) waiters.splice(index, 1);
  });
  function next<T extends FromSubscribers>(type: T['type'], timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the subscribers did not answer "${type}" within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      waiters.push((message) => {
        if (message.type !== type) return false;
        clearTimeout(timer);
        resolve(message as T);
        return true;
      });
    });
  }
  // The subscribers' process may be gone (killed on an interrupt, or crashed): a question then goes
  // unanswered and its wait times out, instead of an IPC error killing the harness.
  const ask = (message: ToSubscribers) => {
    if (child.connected) child.send(message);
  };
  return {
    connected: () => next('connected', 120_000),
    async status(): Promise<SubscribersStatus> {
      const answer = next<SubscribersStatus>('status');
      ask({ type: 'status' });
      return answer;
    },
    reset: () => ask({ type: 'reset' }),
    async report(expectedCursors: number[]): Promise<SubscribersReport> {
      const answer = next<SubscribersReport>('report', 120_000);
      ask({ type: 'report', expectedCursors });
      return answer;
    },
    pid: child.pid ?? 0,
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * Subscription fan-out: SUBSCRIBERS graphql-ws clients (one WebSocket each, in a process of their own)
 * subscribe to eventPublished while createPet runs at a steady rate through the API. Every subscriber
 * must receive every event: "missed" counts the subscriber × event pairs that never arrived.
 */
export async function runFanOut(context: BenchContext): Promise<FanOutResult> {
  const { options, progress } = context;
  const db = await context.databases.create('fanout');
  const topicPrefix = topicPrefixFor('fanout');
  const { server, relay } = await startServerAndStandaloneRelay(context, 'fanout', {
    databaseUrl: db.url,
    topicPrefix,
  });
  const client = createPetClient(server.graphqlUrl, { sockets: 128 });
  const subscribers = startSubscribers(context, server.wsUrl, options.fanoutSubscribers);
  const unregister = context.onCleanup(async () => subscribers.kill());
  try {
    await subscribers.connected();
    progress.say(`fan-out: ${options.fanoutSubscribers} subscribers connected; warming up`);
    const warmup = await client.createPet(-1);
    if (!warmup.ok) throw new Error(`createPet failed: ${warmup.error}`);
    const everyoneHasOne = await waitUntil(async () => (await subscribers.status()).minReceived >= 1, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    if (!everyoneHasOne) throw new Error('not every subscriber received the warm-up event within 60 s');
    const baseline = await subscribers.status();
    subscribers.reset();

    progress.say(`fan-out: createPet at ${formatRate(options.fanoutRate)} for ${options.fanoutSeconds} s`);
    const ticker = setInterval(() => {
      void subscribers
        .status()
        .then((status) =>
          progress.say(
            `fan-out: ${formatCount(status.totalReceived - baseline.totalReceived)} deliveries so far`,
          ),
        );
    }, 5000);
    const cpu = watchCpu(
      { server: server.pid, relay: relay.pid, subscribers: subscribers.pid, harness: process.pid },
      infrastructureGroups(db.name),
    );
    const written = await writeSteadily({
      rate: options.fanoutRate,
      seconds: options.fanoutSeconds,
      send: (index) => client.createPet(index),
    }).finally(() => clearInterval(ticker));
    const petIds = written.requests.flatMap((request) => (request.outcome.ok ? [request.outcome.petId] : []));
    const writeErrors = written.requests.length - petIds.length;
    const writeLatency = new LatencyHistogram();
    for (const request of written.requests) {
      if (request.outcome.ok) writeLatency.record(request.doneAtMs - request.sentAtMs);
    }
    const firstFailure = written.requests.find((request) => !request.outcome.ok)?.outcome;

    // Every written event must be published before it can be delivered; then wait for the deliveries.
    const expectedCursors: number[] = [];
    const allPublished = await waitUntil(
      async () => {
        const { rows } = await db.pool.query<{ published_seq: string | null }>(
          'SELECT published_seq FROM outbox_events WHERE aggregate_id = ANY($1::varchar[])',
          [petIds],
        );
        if (rows.some((row) => row.published_seq === null)) return false;
        expectedCursors.splice(0, expectedCursors.length, ...rows.map((row) => Number(row.published_seq)));
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    // Without the full set of published events nothing can be counted as missed: fail loudly rather
    // than report "0 of 0 missed".
    if (!allPublished) {
      throw new Error(`not every one of the ${petIds.length} written events was published within 120 s`);
    }
    const expectedDeliveries = expectedCursors.length * options.fanoutSubscribers;
    let last = -1;
    let lastChange = Date.now();
    await waitUntil(
      async () => {
        const status = await subscribers.status();
        const delivered = status.totalReceived - baseline.totalReceived;
        if (delivered !== last) {
          last = delivered;
          lastChange = Date.now();
        }
        return delivered >= expectedDeliveries || Date.now() - lastChange > QUIET_PERIOD_MS;
      },
      { timeoutMs: 30 * 60_000, intervalMs: 500 },
    );
    const cpuUsage = cpu.stop();
    const report = await subscribers.report(expectedCursors);
    const latency = LatencyHistogram.from(report.latency).summary();
    const result: FanOutResult = {
      subscribers: options.fanoutSubscribers,
      targetRate: options.fanoutRate,
      seconds: options.fanoutSeconds,
      written: written.requests.length,
      writeErrors,
      achievedRate: written.requests.length / written.seconds,
      writeLatency: writeLatency.summary(),
      expectedDeliveries,
      deliveries: report.deliveries - baseline.totalReceived,
      missed: report.missed,
      subscribersMissingEvents: report.subscribersMissingEvents,
      duplicates: report.duplicates,
      outOfOrder: report.outOfOrder,
      latency,
      firstErrors: report.firstErrors,
      serverHeap: await server.heapStats(),
      serverEventLoopDelay: await server.eventLoopDelay(),
      idleRssBytes: server.idleRssBytes,
      peakRssBytes: await server.stop(),
      relayPeakRssBytes: await relay.stop(),
      subscriberProcessPeakRssBytes: report.maxRssBytes,
      firstWriteError: firstFailure && !firstFailure.ok ? firstFailure.error : null,
      cpu: cpuUsage,
    };
    progress.say(
      `fan-out: ${formatCount(result.deliveries)}/${formatCount(expectedDeliveries)} delivered, missed ${result.missed}, out of order ${result.outOfOrder}, p99 ${formatMs(latency.p99)}; createPet meanwhile ${formatRate(result.achievedRate)}, p99 ${formatMs(result.writeLatency.p99)}, errors ${writeErrors}`,
    );
    return result;
  } finally {
    unregister();
    subscribers.kill();
    client.close();
    await server.stop().catch(() => null);
    await relay.stop().catch(() => null);
    await context.kafkaTopics.delete(allTopics(topicPrefix)).catch(() => {});
    await db.drop();
  }
}

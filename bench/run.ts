/**
 * `npm run bench`: measures the relay, the API and the live feed against this machine's own limits
 * (Kafka's producer, the bare pg driver) and a naive baseline, all in one run, on the real PostgreSQL
 * and Kafka. Progress goes to stderr; bench-results/<time>/ gets report.json, report.md and charts.
 * `npm run bench -- --smoke` runs the same harness at tiny sizes (CI runs it: test/bench).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ensureBuild } from '../scripts/lib/build.ts';
import { ensurePrismaClient } from '../scripts/lib/prisma-client.ts';
import { ensureKafka, ensurePostgres } from '../scripts/lib/services.ts';
import { loadConfig } from '../src/config/env.ts';
import { estimateSeconds } from './estimate.ts';
import { createBenchDatabases } from './infra/bench-databases.ts';
import { createKafkaTopics } from './infra/kafka-topics.ts';
import { REPO_ROOT } from './infra/repo-paths.ts';
import { createProgress, formatBytes, formatMs, formatRate } from './lib/progress.ts';
import { parseBenchOptions, type ScenarioName, USAGE } from './options.ts';
import {
  type BenchReport,
  CONTEXT_TARGET,
  type MemoryEntry,
  RSS_LIMIT_BYTES,
  SECTION_TITLES,
  type Section,
  summarise,
} from './report/bench-report.ts';
import { buildCharts } from './report/charts.ts';
import { describeMachine } from './report/machine.ts';
import { renderMarkdown } from './report/markdown.ts';
import type { BenchContext } from './scenarios/bench-context.ts';
import { measureDrainCeilings } from './scenarios/drain-ceilings.ts';
import { runEndToEndLatency } from './scenarios/end-to-end-latency.ts';
import { runFanOut } from './scenarios/fan-out.ts';
import { runMutationThroughput } from './scenarios/mutation-throughput.ts';
import { runNaiveBaseline } from './scenarios/naive-baseline.ts';
import { measureProducerLimit } from './scenarios/producer-limit.ts';
import { type DrainResult, runDrain } from './scenarios/relay-drain.ts';
import { runScaleKnobs } from './scenarios/scale-knobs.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const options = parseBenchOptions(argv, process.env);
const progress = createProgress();
const startedAt = new Date();
const outDir = resolve(
  REPO_ROOT,
  options.out ?? join('bench-results', startedAt.toISOString().replace(/[:.]/g, '-')),
);
const logsDir = join(outDir, 'logs');
const profilesDir = options.cpuProf ? join(outDir, 'profiles') : undefined;
mkdirSync(logsDir, { recursive: true });
if (profilesDir) mkdirSync(profilesDir, { recursive: true });

// Everything a fresh clone needs, as `npm start` does it.
if (ensurePrismaClient()) progress.say('generated Prisma Client');
// The service processes run the production build, as `npm run serve` does.
ensureBuild(progress.say);
const serviceUrl = await ensurePostgres(options.databaseUrl, progress.say);
const maintenanceUrl = (() => {
  const url = new URL(serviceUrl);
  url.pathname = '/postgres';
  return url.toString();
})();
const brokers = (await ensureKafka(options.kafkaBrokers, progress.say)).split(',');

const defaults = loadConfig({});
const serviceDefaults = {
  batchSize: defaults.outbox.batchSize,
  pollingIntervalSeconds: defaults.outbox.pollingIntervalMs / 1000,
  topicPartitions: defaults.kafka.topicPartitions,
};
const batchSize = options.batchSize ?? serviceDefaults.batchSize;
const estimatedSeconds = estimateSeconds(options, batchSize);
progress.say(
  `${options.smoke ? 'SMOKE run (tiny sizes)' : 'full run'}: ${options.scenarios.join(', ')}; estimated ${(estimatedSeconds / 60).toFixed(1)} min; results in ${relative(process.cwd(), outDir) || '.'}`,
);

const databases = createBenchDatabases({ maintenanceUrl, keep: options.keepDatabases });
const cleanups = new Set<() => Promise<unknown>>();
async function cleanUp(): Promise<void> {
  for (const task of [...cleanups].reverse()) await task().catch(() => {});
  cleanups.clear();
  await databases.dropAll();
}
process.once('SIGINT', () => {
  progress.say('interrupted: stopping processes and dropping the bench databases');
  void cleanUp().finally(() => process.exit(130));
});

const context: BenchContext = {
  options,
  databases,
  kafkaTopics: createKafkaTopics(brokers),
  brokers,
  progress,
  logsDir,
  profilesDir,
  serviceDefaults,
  onCleanup(task) {
    cleanups.add(task);
    return () => cleanups.delete(task);
  },
};

const selected = (name: ScenarioName) => options.scenarios.includes(name);
const notSelected = { status: 'skipped', reason: 'not selected (--only)' } as const;

async function section<T>(name: ScenarioName, title: string, work: () => Promise<T>): Promise<Section<T>> {
  if (!selected(name)) return notSelected;
  progress.step(title);
  try {
    return { status: 'ok', result: await work() };
  } catch (error) {
    const message = (error as Error).stack ?? String(error);
    progress.say(`FAILED: ${(error as Error).message}`);
    return { status: 'failed', error: message };
  }
}

let report: BenchReport;
try {
  await databases.prepare();
  const machine = await describeMachine(maintenanceUrl);
  let headline: DrainResult | null = null;
  const relayDrain = await section('drain', SECTION_TITLES.relayDrain, async () => {
    // Kafka's own tool first: the drain then meets a broker whose JIT has warmed up like it will
    // for every later measurement, instead of paying the broker's warm-up alone.
    progress.say(
      `Kafka ProducerPerformance, ${options.drainEvents} records of ${options.payloadBytes} bytes`,
    );
    const producerLimit = await measureProducerLimit(context, {
      records: options.drainEvents,
      recordBytes: options.payloadBytes,
    });
    const relay = await runDrain(context, {
      label: 'drain',
      events: options.drainEvents,
      instances: 1,
      batchSize,
    });
    headline = relay;
    const ceilings = await measureDrainCeilings(context, { events: options.drainEvents, batchSize });
    return { relay, producerLimit, ceilings };
  });
  const naiveBaseline = await section('naive', SECTION_TITLES.naiveBaseline, async () => {
    const variants = [];
    for (const variant of ['as-described', 'eager'] as const) {
      variants.push(await runNaiveBaseline(context, { variant, events: options.drainEvents, batchSize }));
    }
    return { variants, relayEventsPerSecond: (headline as DrainResult | null)?.eventsPerSecond ?? null };
  });
  const endToEndLatency = await section('latency', SECTION_TITLES.endToEndLatency, () =>
    runEndToEndLatency(context),
  );
  const mutationThroughput = await section('mutations', SECTION_TITLES.mutationThroughput, () =>
    runMutationThroughput(context),
  );
  const fanOut = await section('fanout', SECTION_TITLES.fanOut, () => runFanOut(context));
  const scaleKnobs = await section('scale', SECTION_TITLES.scaleKnobs, () =>
    runScaleKnobs(context, headline, batchSize),
  );

  const entries: MemoryEntry[] = [];
  const drainEntries = (scenario: string, run: DrainResult) => {
    entries.push({
      scenario,
      process: 'server',
      peakRssBytes: run.peakRssBytes.server,
      heap: run.serverHeap,
      eventLoopDelay: run.serverEventLoopDelay,
    });
    for (const [index, peak] of run.peakRssBytes.extraRelays.entries()) {
      entries.push({
        scenario,
        process: `extra relay ${index + 2} (${run.extraRelayEntry})`,
        peakRssBytes: peak,
      });
    }
  };
  if (relayDrain.status === 'ok') drainEntries('relay drain', relayDrain.result.relay);
  if (naiveBaseline.status === 'ok') {
    for (const variant of naiveBaseline.result.variants) {
      entries.push({
        scenario: `naive baseline (${variant.variant})`,
        process: 'naive relay',
        peakRssBytes: variant.peakRssBytes,
      });
    }
  }
  if (endToEndLatency.status === 'ok') {
    entries.push({
      scenario: 'end-to-end latency',
      process: 'server',
      peakRssBytes: endToEndLatency.result.peakRssBytes,
      heap: endToEndLatency.result.serverHeap,
      eventLoopDelay: endToEndLatency.result.serverEventLoopDelay,
    });
    entries.push({
      scenario: 'end-to-end latency',
      process: 'standalone relay',
      peakRssBytes: endToEndLatency.result.relayPeakRssBytes,
    });
  }
  if (mutationThroughput.status === 'ok')
    entries.push({
      scenario: 'mutation throughput',
      process: 'server',
      peakRssBytes: mutationThroughput.result.peakRssBytes,
      idleRssBytes: mutationThroughput.result.idleRssBytes,
      heap: mutationThroughput.result.serverHeap,
      eventLoopDelay: mutationThroughput.result.serverEventLoopDelay,
    });
  if (fanOut.status === 'ok') {
    entries.push({
      scenario: 'subscription fan-out',
      process: 'server',
      peakRssBytes: fanOut.result.peakRssBytes,
      idleRssBytes: fanOut.result.idleRssBytes,
      heap: fanOut.result.serverHeap,
      eventLoopDelay: fanOut.result.serverEventLoopDelay,
    });
    entries.push({
      scenario: 'subscription fan-out',
      process: 'standalone relay',
      peakRssBytes: fanOut.result.relayPeakRssBytes,
    });
  }
  if (scaleKnobs.status === 'ok') {
    const { instances, batchSizes, backlogSizes } = scaleKnobs.result;
    for (const run of [...instances, ...batchSizes, ...backlogSizes]) {
      if (run !== headline) drainEntries(`scale: ${run.label}`, run);
    }
  }
  const memory: Section<{ limitBytes: number; entries: MemoryEntry[] }> =
    entries.length > 0
      ? { status: 'ok', result: { limitBytes: RSS_LIMIT_BYTES, entries } }
      : { status: 'skipped', reason: 'no scenario ran a service process' };

  const sections = {
    relayDrain,
    naiveBaseline,
    endToEndLatency,
    mutationThroughput,
    fanOut,
    memory,
    scaleKnobs,
  };
  const finishedAt = new Date();
  report = {
    kind: 'petstore-outbox-bench',
    version: 1,
    mode: options.smoke ? 'smoke' : 'full',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    estimatedSeconds,
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    options,
    machine,
    batchSize,
    summary: summarise(sections),
    sections,
    charts: [],
  };
} finally {
  await cleanUp();
}

const charts = buildCharts(report);
report.charts = charts.map((chart) => chart.file);
for (const chart of charts) writeFileSync(join(outDir, chart.file), chart.svg);
writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(outDir, 'report.md'), renderMarkdown(report));

progress.step('Summary');
for (const row of report.summary) {
  const value =
    row.value === null
      ? 'n/a'
      : row.unit === 'ms'
        ? formatMs(row.value)
        : row.unit === 'ratio'
          ? `${row.value.toFixed(2)}×`
          : row.unit === 'bytes'
            ? formatBytes(row.value)
            : row.unit === 'count'
              ? String(row.value)
              : formatRate(row.value);
  // A context row has no target: its figure only explains the others.
  const met =
    row.target === CONTEXT_TARGET ? '' : row.met === null ? 'not measured' : row.met ? 'met' : 'NOT met';
  const reference = row.reference ? `  (${row.reference})` : '';
  progress.say(
    `${row.metric.padEnd(58)} ${value.padStart(12)}  target ${row.target.padEnd(10)} ${met}${reference}`,
  );
}
progress.say(
  `report: ${relative(process.cwd(), join(outDir, 'report.md'))} (and report.json, ${charts.length} charts)`,
);
const failed = Object.entries(report.sections).filter(([, value]) => value.status === 'failed');
if (failed.length > 0) {
  progress.say(`failed sections: ${failed.map(([name]) => name).join(', ')}`);
  process.exitCode = 1;
}

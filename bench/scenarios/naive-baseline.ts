import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { allTopics, topicFor } from '../../src/outbox/topics.ts';
import { REPO_ROOT } from '../infra/repo-paths.ts';
import { formatCount, formatRate } from '../lib/progress.ts';
import { bucketSecondsFor, processedRateSeries, type SeriesPoint } from '../lib/series.ts';
import { writeBacklog } from '../load/backlog.ts';
import { type BenchContext, logFileFor, topicPrefixFor } from './bench-context.ts';

export type NaiveVariant = 'as-described' | 'eager';

export type NaiveResult = {
  variant: NaiveVariant;
  events: number;
  batchSize: number;
  pollingIntervalSeconds: number;
  /** The baseline is slow: it runs for at most this long, and its rate is taken over what it drained. */
  capSeconds: number;
  published: number;
  completed: boolean;
  seconds: number;
  eventsPerSecond: number;
  series: SeriesPoint[];
  peakRssBytes: number | null;
};

type ChildReport = { startedAtMs: number; finishedAtMs: number; published: number; maxRssBytes: number };

function runChild(context: BenchContext, env: NodeJS.ProcessEnv, logFile: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `${REPO_ROOT}bench/naive/naive-relay-main.ts`],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', fd],
      },
    );
    closeSync(fd);
    const unregister = context.onCleanup(async () => child.kill('SIGKILL'));
    child.once('exit', unregister);
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = output.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line)
        return reject(new Error(`naive relay exited with code ${code}; see ${logFile}`));
      resolve(JSON.parse(line) as ChildReport);
    });
  });
}

/**
 * The naive baseline over the same backlog (same size, payloads and aggregates, in a database of its
 * own), with the same OUTBOX_BATCH_SIZE and OUTBOX_POLLING_INTERVAL the relay runs with.
 */
export async function runNaiveBaseline(
  context: BenchContext,
  { variant, events, batchSize }: { variant: NaiveVariant; events: number; batchSize: number },
): Promise<NaiveResult> {
  const { options, progress, serviceDefaults } = context;
  const label = `naive-${variant}`;
  const db = await context.databases.create(label);
  const topicPrefix = topicPrefixFor(label);
  try {
    await writeBacklog(db.pool, {
      events,
      aggregates: options.aggregates,
      payloadBytes: options.payloadBytes,
      topicPrefix,
    });
    await context.kafkaTopics.create([topicFor(topicPrefix, 'pet')], {
      partitions: serviceDefaults.topicPartitions,
    });
    progress.say(
      `${label}: backlog of ${formatCount(events)} written; draining for at most ${options.naiveSeconds} s`,
    );
    const report = await runChild(
      context,
      {
        ...process.env,
        DATABASE_URL: db.url,
        KAFKA_BROKERS: context.brokers.join(','),
        OUTBOX_BATCH_SIZE: String(batchSize),
        OUTBOX_POLLING_INTERVAL: String(serviceDefaults.pollingIntervalSeconds),
        NAIVE_EAGER: String(variant === 'eager'),
        NAIVE_MAX_SECONDS: String(options.naiveSeconds),
      },
      logFileFor(context, label),
    );
    const { rows } = await db.pool.query<{ last: Date | null }>(
      'SELECT max(processed_at) AS last FROM outbox_events',
    );
    const lastMs = rows[0]?.last?.getTime() ?? report.finishedAtMs;
    const seconds = (Math.max(lastMs, report.startedAtMs + 1) - report.startedAtMs) / 1000;
    const eventsPerSecond = report.published / seconds;
    progress.say(
      `${label}: ${formatCount(report.published)}/${formatCount(events)} in ${seconds.toFixed(1)} s = ${formatRate(eventsPerSecond)}`,
    );
    return {
      variant,
      events,
      batchSize,
      pollingIntervalSeconds: serviceDefaults.pollingIntervalSeconds,
      capSeconds: options.naiveSeconds,
      published: report.published,
      completed: report.published >= events,
      seconds,
      eventsPerSecond,
      series: await processedRateSeries(db.pool, {
        from: new Date(report.startedAtMs),
        // Coarser than the sleeps between batches, or the line is a comb.
        bucketSeconds: Math.max(bucketSecondsFor(seconds), 2 * serviceDefaults.pollingIntervalSeconds),
      }),
      peakRssBytes: report.maxRssBytes,
    };
  } finally {
    await context.kafkaTopics.delete(allTopics(topicPrefix)).catch(() => {});
    await db.drop();
  }
}

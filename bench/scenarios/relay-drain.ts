import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/env.ts';
import { setRelayPaused } from '../../src/outbox/admin/set-relay-paused.ts';
import type { MessageFormat } from '../../src/outbox/relay/kafka-message.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { type CpuUsage, infrastructureGroups, watchCpu } from '../infra/cpu-usage.ts';
import {
  type EventLoopDelay,
  type HeapStats,
  type RunningServer,
  startExtraRelay,
  startServer,
} from '../infra/service-launcher.ts';
import type { ServiceProcess } from '../infra/service-process.ts';
import { formatCount, formatRate } from '../lib/progress.ts';
import { bucketSecondsFor, processedRateSeries, type SeriesPoint } from '../lib/series.ts';
import { writeBacklog } from '../load/backlog.ts';
import { type BenchContext, topicPrefixFor } from './bench-context.ts';

export type DrainSpec = { label: string; events: number; instances: number; batchSize: number };

export type DrainResult = DrainSpec & {
  aggregates: number;
  payloadBytes: number;
  backlogWriteSeconds: number;
  /** From the resume of the paused relays to the last event marked published (acknowledged by Kafka first). */
  drainSeconds: number;
  eventsPerSecond: number;
  /**
   * The rate between the 10th and the 90th percentile of `processed_at`: the drain without its
   * start (connections, the first claims, JIT) and its tail (the last aggregates' runs).
   */
  steadyEventsPerSecond: number | null;
  published: number;
  failed: number;
  /** Messages on the topic afterwards: more than `events` means some went out twice (at-least-once). */
  kafkaMessages: number;
  series: SeriesPoint[];
  peakRssBytes: { server: number | null; extraRelays: (number | null)[] };
  serverHeap: HeapStats | null;
  serverEventLoopDelay: EventLoopDelay | null;
  /** CPU from the resume to the end of the drain: the machine, the server, each extra relay. */
  cpu: CpuUsage;
  /** The service's KAFKA_MESSAGE_FORMAT in this run. */
  messageFormat: MessageFormat;
  /** What ran the extra instances: the standalone relay, or more service processes until it exists. */
  extraRelayEntry: 'src/relay-main.ts' | 'src/main.ts' | null;
};

/** Gives up when nothing is published for this long: a stuck relay must not hang the whole run. */
const STALL_TIMEOUT_MS = 60_000;

async function publishedSoFar(context: { pool: import('pg').Pool }): Promise<number> {
  const { rows } = await context.pool.query<{ last_value: string; is_called: boolean }>(
    'SELECT last_value, is_called FROM outbox_events_published_seq',
  );
  const row = rows[0];
  return row?.is_called ? Number(row.last_value) : 0;
}

/** Events per second between the 10th and 90th percentile of the marks; null for a drain too short to tell. */
async function steadyRate(pool: import('pg').Pool, published: number): Promise<number | null> {
  const { rows } = await pool.query<{ seconds: number | null }>(
    `SELECT extract(epoch FROM q[2] - q[1])::float8 AS seconds
     FROM (SELECT percentile_disc(ARRAY[0.1, 0.9]) WITHIN GROUP (ORDER BY processed_at) AS q
           FROM outbox_events WHERE status = 'published') marks`,
  );
  const seconds = rows[0]?.seconds ?? null;
  return seconds !== null && seconds > 0 ? (0.8 * published) / seconds : null;
}

/**
 * The relay drain: a backlog is written while every relay is paused (the database-wide switch), the
 * relays start and connect, then one resume starts the clock; it stops at the last `processed_at`,
 * which each relay writes once Kafka has acknowledged the event (acks=all). Progress is read from
 * the publication sequence, which costs the database next to nothing.
 */
export async function runDrain(context: BenchContext, spec: DrainSpec): Promise<DrainResult> {
  const { options, progress } = context;
  const db = await context.databases.create(spec.label);
  const topicPrefix = topicPrefixFor(spec.label);
  const topics = allTopics(topicPrefix);
  const processes: ServiceProcess[] = [];
  let server: RunningServer | undefined;
  try {
    await setRelayPaused(db.pool, { paused: true, by: 'bench', reason: 'backlog being written' });
    const writeStarted = performance.now();
    let nextReport = 0;
    await writeBacklog(
      db.pool,
      {
        events: spec.events,
        aggregates: options.aggregates,
        payloadBytes: options.payloadBytes,
        topicPrefix,
      },
      (written) => {
        if (written >= nextReport || written === spec.events) {
          progress.say(`${spec.label}: backlog ${formatCount(written)}/${formatCount(spec.events)} written`);
          nextReport = written + Math.max(spec.events / 4, 1);
        }
      },
    );
    const backlogWriteSeconds = (performance.now() - writeStarted) / 1000;

    const settings = { databaseUrl: db.url, topicPrefix, env: { OUTBOX_BATCH_SIZE: String(spec.batchSize) } };
    server = await startServer(context, `${spec.label}-server`, settings);
    processes.push(server);
    const extras = await Promise.all(
      Array.from({ length: spec.instances - 1 }, (_, index) =>
        startExtraRelay(context, `${spec.label}-relay-${index + 2}`, settings),
      ),
    );
    processes.push(...extras);
    progress.say(`${spec.label}: ${spec.instances} relay instance(s) up (batch ${spec.batchSize}); resuming`);

    const cpu = watchCpu(
      {
        ...Object.fromEntries(
          processes.map((child, index) => [index === 0 ? 'server' : `relay ${index + 1}`, child.pid]),
        ),
        harness: process.pid,
      },
      infrastructureGroups(db.name),
    );
    const resumed = await setRelayPaused(db.pool, { paused: false, by: 'bench' });
    const startedAt = resumed.updatedAt;
    let lastCount = 0;
    let lastProgressAt = Date.now();
    let lastReportAt = Date.now();
    for (;;) {
      const count = await publishedSoFar(db);
      if (count >= spec.events) break;
      if (count > lastCount) {
        lastCount = count;
        lastProgressAt = Date.now();
      } else if (Date.now() - lastProgressAt > STALL_TIMEOUT_MS) {
        throw new Error(
          `${spec.label}: no event published for ${STALL_TIMEOUT_MS / 1000} s (${count}/${spec.events})`,
        );
      }
      if (Date.now() - lastReportAt >= 2000) {
        const seconds = (Date.now() - startedAt.getTime()) / 1000;
        progress.say(
          `${spec.label}: ${formatCount(count)}/${formatCount(spec.events)} published (${formatRate(count / seconds)})`,
        );
        lastReportAt = Date.now();
      }
      await sleep(spec.events > 20_000 ? 250 : 50);
    }
    // The sequence can run ahead of the rows by marks still committing; the rows are the truth.
    let totals: { published: number; failed: number; pending: number; last: Date | null };
    for (;;) {
      const { rows } = await db.pool.query<{
        published: string;
        failed: string;
        pending: string;
        last: Date | null;
      }>(
        `SELECT count(*) FILTER (WHERE status = 'published') AS published,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                count(*) FILTER (WHERE status = 'pending') AS pending,
                max(processed_at) AS last
         FROM outbox_events`,
      );
      const row = rows[0];
      totals = {
        published: Number(row?.published ?? 0),
        failed: Number(row?.failed ?? 0),
        pending: Number(row?.pending ?? 0),
        last: row?.last ?? null,
      };
      if (totals.pending === 0) break;
      await sleep(50);
    }
    const cpuUsage = cpu.stop();
    const drainSeconds = ((totals.last?.getTime() ?? Date.now()) - startedAt.getTime()) / 1000;
    const eventsPerSecond = totals.published / drainSeconds;
    progress.say(
      `${spec.label}: drained ${formatCount(totals.published)} in ${drainSeconds.toFixed(2)} s = ${formatRate(eventsPerSecond)}`,
    );
    const steadyEventsPerSecond = await steadyRate(db.pool, totals.published);
    const series = await processedRateSeries(db.pool, {
      from: startedAt,
      bucketSeconds: bucketSecondsFor(drainSeconds),
    });
    const kafkaMessages = await context.kafkaTopics.messageCount(topics);
    const serverHeap = await server.heapStats();
    const serverEventLoopDelay = await server.eventLoopDelay();
    const serverPeak = await server.stop();
    const extraPeaks = await Promise.all(extras.map((relay) => relay.stop()));
    return {
      ...spec,
      aggregates: options.aggregates,
      payloadBytes: options.payloadBytes,
      backlogWriteSeconds,
      drainSeconds,
      eventsPerSecond,
      steadyEventsPerSecond,
      published: totals.published,
      failed: totals.failed,
      kafkaMessages,
      series,
      peakRssBytes: { server: serverPeak, extraRelays: extraPeaks },
      cpu: cpuUsage,
      serverHeap,
      messageFormat: loadConfig({}).kafka.messageFormat,
      serverEventLoopDelay,
      extraRelayEntry:
        extras.length === 0 ? null : extras[0]?.standalone ? 'src/relay-main.ts' : 'src/main.ts',
    };
  } finally {
    await Promise.all(processes.map((child) => child.stop().catch(() => null)));
    await context.kafkaTopics.delete(topics).catch(() => {});
    await db.drop();
  }
}

import { allTopics, topicFor } from '../../src/outbox/topics.ts';
import { type CpuUsage, infrastructureGroups, watchCpu } from '../infra/cpu-usage.ts';
import {
  type EventLoopDelay,
  type HeapStats,
  startServerAndStandaloneRelay,
} from '../infra/service-launcher.ts';
import { LatencyHistogram, type Percentiles } from '../lib/latency-histogram.ts';
import { formatCount, formatMs, formatRate } from '../lib/progress.ts';
import { rateSeries, type SeriesPoint } from '../lib/series.ts';
import { waitUntil } from '../lib/wait-until.ts';
import { createBareDriverWriter } from '../load/bare-driver-writer.ts';
import { listenToKafka, listenToSubscription } from '../load/published-listeners.ts';
import { writeSteadily } from '../load/steady-writer.ts';
import { type BenchContext, topicPrefixFor } from './bench-context.ts';

export type LatencyResult = {
  targetRate: number;
  seconds: number;
  /** What wrote the load, in one sentence. */
  writer: string;
  /** Transactions the writer started and the rate it achieved. */
  written: number;
  writeErrors: number;
  firstWriteError: string | null;
  achievedRate: number;
  /** How the commit moment is taken; see the report. */
  commitBasis: string;
  /** Which processes ran the API and the relay. */
  topology: string;
  /** From the outbox row's INSERT (the database's clock_timestamp()) to the broker's ack: an upper bound. */
  commitToAck: Percentiles;
  /** From the transaction's start (the row's created_at, now()) to the broker's ack: a looser upper bound. */
  startToAck: Percentiles;
  /** From the moment the writer saw COMMIT acknowledged to the broker's ack: a lower bound. */
  committedToAck: Percentiles;
  commitToMarked: Percentiles;
  commitToSubscriber: Percentiles;
  /** The writer's own transaction round trip (BEGIN to COMMIT acknowledged), as the client saw it. */
  mutationLatency: Percentiles;
  /** Events not acknowledged / not delivered within the grace period after the load ended. */
  missingOnKafka: number;
  missingAtSubscriber: number;
  subscriptionErrors: string[];
  series: { written: SeriesPoint[]; acknowledged: SeriesPoint[]; delivered: SeriesPoint[] };
  peakRssBytes: number | null;
  relayPeakRssBytes: number | null;
  serverHeap: HeapStats | null;
  serverEventLoopDelay: EventLoopDelay | null;
  /** While the load ran. */
  cpu: CpuUsage;
};

type EventRow = { id: string; created_ms: number; processed_ms: number | null };

/** Enough connections that a slow commit now and then does not hold the schedule back. */
const WRITER_CONNECTIONS = 16;

/**
 * End-to-end latency of the standalone relay at a steady rate: the writer commits createPet's rows
 * (the pet and its outbox event in one transaction, then the service's NOTIFY after the commit) through the bare
 * pg driver, so the offered rate is what the relay meets whatever the API can sustain (the mutation
 * throughput scenario measures that). Timed: from the transaction's commit to the
 * broker's acknowledgement (the broker's append timestamp, topics created with LogAppendTime before
 * the service starts), to the relay's mark, and to a graphql-ws subscriber of eventPublished.
 *
 * The commit moment: PostgreSQL here keeps no commit timestamps (track_commit_timestamp is off and
 * needs a restart), so the database's clock_timestamp() at the outbox row's INSERT (its RETURNING)
 * stands in for it: the commit follows one COMMIT round trip later, so every latency below is an
 * upper bound. The row's created_at, now() of the business transaction (its start), gives a looser
 * one that includes the transaction's own statements, reported too; on a saturated machine that
 * duration is the writer's, not the relay's.
 */
export async function runEndToEndLatency(context: BenchContext): Promise<LatencyResult> {
  const { options, progress } = context;
  const db = await context.databases.create('latency');
  const topicPrefix = topicPrefixFor('latency');
  const topics = allTopics(topicPrefix);
  await context.kafkaTopics.create(topics, {
    partitions: context.serviceDefaults.topicPartitions,
    logAppendTime: true,
  });
  const { server, relay } = await startServerAndStandaloneRelay(context, 'latency', {
    databaseUrl: db.url,
    topicPrefix,
  });
  const writer = createBareDriverWriter({
    databaseUrl: db.url,
    connections: WRITER_CONNECTIONS,
    topicPrefix,
  });
  // When each event's COMMIT was acknowledged: the commit happened before, so latencies from here are lower bounds.
  const committedAt = new Map<string, number>();
  // When each outbox row was inserted, by the database's clock: the commit follows one round trip later.
  const insertedAt = new Map<string, number>();
  const write = async (index: number) => {
    const error = await writer.insert(index, (eventId, atMs, insertedAtMs) => {
      committedAt.set(eventId, atMs);
      insertedAt.set(eventId, insertedAtMs);
    });
    return error === null ? { ok: true as const } : { ok: false as const, error };
  };
  const kafka = await listenToKafka(context.brokers, [topicFor(topicPrefix, 'pet')]);
  const subscriber = listenToSubscription(server.wsUrl);
  try {
    // Warm-up: the consumer has joined its group and the subscription is live once a pet written now reaches both.
    const warmup = await write(-1);
    if (!warmup.ok) throw new Error(`the writer failed: ${warmup.error}`);
    const { rows: warmRows } = await db.pool.query<{ id: string }>(
      'SELECT id FROM outbox_events ORDER BY created_at DESC LIMIT 1',
    );
    const warmId = warmRows[0]?.id ?? '';
    const warm = await waitUntil(
      () => kafka.brokerTimestamps.has(warmId) && subscriber.deliveredAt.has(warmId),
      { timeoutMs: 60_000 },
    );
    if (!warm)
      throw new Error('the warm-up event reached neither the Kafka consumer nor the subscriber within 60 s');
    await writeSteadily({
      rate: options.latencyRate,
      seconds: options.warmupSeconds,
      send: (index) => write(-10 - index),
    });
    committedAt.clear();
    insertedAt.clear();

    progress.say(
      `createPet's rows at ${formatRate(options.latencyRate)} for ${options.latencySeconds} s (bare driver); timing commit → ack → subscriber`,
    );
    const cpu = watchCpu(
      { server: server.pid, relay: relay.pid, harness: process.pid },
      infrastructureGroups(db.name),
    );
    const written = await writeSteadily({
      rate: options.latencyRate,
      seconds: options.latencySeconds,
      send: write,
    });
    const cpuUsage = cpu.stop();
    const ok = written.requests.filter((request) => request.outcome.ok);
    const failed = written.requests.filter((request) => !request.outcome.ok);
    progress.say(
      `written ${formatCount(ok.length)} (${formatRate(written.requests.length / written.seconds)}), errors ${failed.length}; waiting for the last events`,
    );

    // The events of the measured phase: those the writer committed in it.
    const measuredIds = [...committedAt.keys()];
    const measured = 'id = ANY($1::uuid[])';
    const { rows } = await db.pool.query<EventRow>(
      `SELECT id, extract(epoch FROM created_at) * 1000 AS created_ms,
              extract(epoch FROM processed_at) * 1000 AS processed_ms
       FROM outbox_events WHERE ${measured}`,
      [measuredIds],
    );
    const everywhere = () =>
      rows.every((row) => kafka.brokerTimestamps.has(row.id) && subscriber.deliveredAt.has(row.id));
    await waitUntil(everywhere, { timeoutMs: 60_000 });
    const { rows: marked } = await db.pool.query<{ id: string; processed_ms: number | null }>(
      `SELECT id, extract(epoch FROM processed_at) * 1000 AS processed_ms FROM outbox_events WHERE ${measured}`,
      [measuredIds],
    );
    const processedMs = new Map(marked.map((row) => [row.id, row.processed_ms]));

    const commitToAck = new LatencyHistogram();
    const startToAck = new LatencyHistogram();
    const committedToAck = new LatencyHistogram();
    const commitToMarked = new LatencyHistogram();
    const commitToSubscriber = new LatencyHistogram();
    for (const row of rows) {
      const started = Number(row.created_ms);
      // The insert's own clock reading; the transaction's start if the writer did not hear it.
      const created = insertedAt.get(row.id) ?? started;
      const ack = kafka.brokerTimestamps.get(row.id);
      if (ack !== undefined) commitToAck.record(Math.max(0, ack - created));
      if (ack !== undefined) startToAck.record(ack - started);
      const committed = committedAt.get(row.id);
      if (ack !== undefined && committed !== undefined) committedToAck.record(Math.max(0, ack - committed));
      const processed = processedMs.get(row.id);
      if (processed !== null && processed !== undefined) commitToMarked.record(Number(processed) - created);
      const delivered = subscriber.deliveredAt.get(row.id);
      if (delivered !== undefined) commitToSubscriber.record(delivered - created);
    }
    const mutationLatency = new LatencyHistogram();
    for (const request of ok) mutationLatency.record(request.doneAtMs - request.sentAtMs);
    const startMs = written.requests[0]?.sentAtMs ?? 0;
    const ids = new Set(rows.map((row) => row.id));
    const result: LatencyResult = {
      writer: `createPet's rows (pet, outbox event) in one transaction, NOTIFY after the commit, through the bare pg driver, ${WRITER_CONNECTIONS} connections, open loop`,
      targetRate: options.latencyRate,
      seconds: options.latencySeconds,
      written: written.requests.length,
      writeErrors: failed.length,
      firstWriteError: failed[0]?.outcome.ok === false ? failed[0].outcome.error : null,
      achievedRate: written.requests.length / written.seconds,
      commitBasis:
        "the outbox row's INSERT, read from the database's clock_timestamp() by the insert's RETURNING; latencies are upper bounds",
      topology:
        'API server (OUTBOX_RELAY_ENABLED=false) and a standalone relay (npm run relay), two processes',
      commitToAck: commitToAck.summary(),
      startToAck: startToAck.summary(),
      committedToAck: committedToAck.summary(),
      commitToMarked: commitToMarked.summary(),
      commitToSubscriber: commitToSubscriber.summary(),
      mutationLatency: mutationLatency.summary(),
      missingOnKafka:
        rows.filter((row) => !kafka.brokerTimestamps.has(row.id)).length +
        Math.max(0, ok.length - rows.length),
      missingAtSubscriber:
        rows.filter((row) => !subscriber.deliveredAt.has(row.id)).length +
        Math.max(0, ok.length - rows.length),
      subscriptionErrors: subscriber.errors.slice(0, 5),
      series: {
        written: rateSeries(
          ok.map((request) => request.doneAtMs),
          startMs,
          1,
        ),
        acknowledged: rateSeries(
          [...kafka.brokerTimestamps].filter(([id]) => ids.has(id)).map(([, time]) => time),
          startMs,
          1,
        ),
        delivered: rateSeries(
          [...subscriber.deliveredAt].filter(([id]) => ids.has(id)).map(([, time]) => time),
          startMs,
          1,
        ),
      },
      serverHeap: await server.heapStats(),
      serverEventLoopDelay: await server.eventLoopDelay(),
      peakRssBytes: await server.stop(),
      relayPeakRssBytes: await relay.stop(),
      cpu: cpuUsage,
    };
    progress.say(
      `commit → ack p50 ${formatMs(result.commitToAck.p50)} p99 ${formatMs(result.commitToAck.p99)} (from COMMIT acknowledged: p50 ${formatMs(result.committedToAck.p50)} p99 ${formatMs(result.committedToAck.p99)}); commit → subscriber p50 ${formatMs(result.commitToSubscriber.p50)} p99 ${formatMs(result.commitToSubscriber.p99)}`,
    );
    return result;
  } finally {
    await subscriber.stop().catch(() => {});
    await kafka.stop().catch(() => {});
    await writer.close().catch(() => {});
    await server.stop().catch(() => null);
    await relay.stop().catch(() => null);
    await context.kafkaTopics.delete(topics).catch(() => {});
    await db.drop();
  }
}

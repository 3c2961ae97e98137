import type pg from 'pg';
import type { Logger } from '../infra/logger.ts';
import { createPgListener } from '../infra/pg-listener.ts';
import { PENDING_CHANNEL } from '../outbox/relay/create-relay.ts';
import { PUBLISHED_CHANNEL } from '../outbox/relay/mark-published.ts';
import { RELAY_CONTROL_CHANNEL } from '../outbox/relay-control.ts';
import {
  findSeqBefore,
  readBacklogByTopic,
  readClock,
  readParked,
  readPending,
  readPublishedSince,
  readRecentPublications,
  readRelayFleet,
} from './read-outbox-numbers.ts';
import type { ServiceMetrics } from './service-metrics.ts';

export type OutboxSampler = {
  /** Takes the first reading (so the numbers are there when the server starts), then keeps reading. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reads now (sharing a reading in flight); resolves when the gauges hold it. */
  sampleNow(): Promise<void>;
  /** Called after each successful reading. */
  onSample(listener: () => void): () => void;
};

const RATE_WINDOW_MS = 60_000;
const RECENT_LIMIT = 1000;
const RECENT_WINDOW_SECONDS = 300;

/**
 * Keeps the database-wide outbox gauges current: every `intervalMs`, and soon after the outbox changes
 * (the `outbox_pending`, `outbox_published` and pause-switch notifications), at most once per `minGapMs`
 * (by default the interval: at once after a quiet spell, on the interval under steady traffic). Each reading
 * is one read-only REPEATABLE READ transaction, so its numbers are consistent with each other (an event
 * is never both pending and published in one reading).
 *
 * Counting is incremental where the table grows: "processed today" and the processing rate add up the
 * rows published since the previous reading, reached through the `published_seq` index, so the cost
 * follows the traffic, not the table's history.
 */
export function createOutboxSampler({
  pool,
  databaseUrl,
  metrics,
  logger,
  intervalMs,
  // Under a steady stream of changes a reading runs once per interval, not more: its counts read the
  // whole pending backlog, which on a draining million-event backlog competed with the relay itself.
  minGapMs = intervalMs,
}: {
  pool: pg.Pool;
  databaseUrl: string;
  metrics: ServiceMetrics;
  logger: Logger;
  intervalMs: number;
  minGapMs?: number;
}): OutboxSampler {
  const log = logger.child({ component: 'outbox-sampler' });
  const listeners = new Set<() => void>();

  // The incremental state: what has been counted so far.
  let lastSeq: string | null = null;
  let midnight = 0;
  const todayByTopic = new Map<string, number>();
  /** (time, events published so far) points of the last minute, for the processing rate. */
  const published: { atMs: number; total: number }[] = [];
  let publishedTotal = 0;

  let inFlight: Promise<void> | null = null;
  let again = false;
  let lastStartedAt = 0;
  let timer: NodeJS.Timeout | null = null;
  let gapTimer: NodeJS.Timeout | null = null;
  let stopped = true;

  const notifications = createPgListener({
    url: databaseUrl,
    channels: [PENDING_CHANNEL, PUBLISHED_CHANNEL, RELAY_CONTROL_CHANNEL],
    logger: log,
    onNotification: () => request(),
    onReconnect: () => request(),
  });

  async function readOnce(): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const clock = await readClock(client);
      const pending = await readPending(client);
      const backlog = await readBacklogByTopic(client);
      const parked = await readParked(client);
      const firstReading = lastSeq === null;
      const after = lastSeq ?? (await findSeqBefore(client, clock.midnightUtc));
      const fresh = await readPublishedSince(client, after, clock.midnightUtc);
      const recent = await readRecentPublications(client, {
        limit: RECENT_LIMIT,
        windowSeconds: RECENT_WINDOW_SECONDS,
      });
      const fleet = await readRelayFleet(client);
      await client.query('COMMIT');

      const nowMs = clock.now.getTime();
      if (clock.midnightUtc.getTime() !== midnight) {
        // A new day: what was counted before was all published before the previous reading, so yesterday.
        midnight = clock.midnightUtc.getTime();
        todayByTopic.clear();
      }
      let freshTotal = 0;
      let lastMinute = 0;
      for (const row of fresh) {
        todayByTopic.set(row.topic, (todayByTopic.get(row.topic) ?? 0) + row.publishedSinceMidnight);
        freshTotal += row.published;
        lastMinute += row.publishedLastMinute;
        if (lastSeq === null || BigInt(row.lastSeq) > BigInt(lastSeq)) lastSeq = row.lastSeq;
      }
      lastSeq ??= after;
      if (firstReading) {
        // Seeds the rate with the minute before start-up, so it is right from the first reading.
        published.push({ atMs: nowMs - RATE_WINDOW_MS, total: -lastMinute });
      } else {
        publishedTotal += freshTotal;
      }
      published.push({ atMs: nowMs, total: publishedTotal });
      while (published.length > 2 && (published[1]?.atMs ?? nowMs) <= nowMs - RATE_WINDOW_MS)
        published.shift();
      const oldest = published[0];
      const spanMs = oldest ? nowMs - oldest.atMs : 0;
      const rate = oldest && spanMs > 0 ? ((publishedTotal - oldest.total) * 1000) / spanMs : 0;

      metrics.pendingEvents.set(pending.pending);
      metrics.oldestPendingAgeSeconds.set(
        pending.oldestPendingAt ? Math.max(0, (nowMs - pending.oldestPendingAt.getTime()) / 1000) : 0,
      );
      metrics.failedEvents.set(backlog.reduce((sum, topic) => sum + topic.failed, 0));
      metrics.parkedAggregates.set(parked.aggregates);
      metrics.parkedEvents.set(parked.events);
      metrics.processedToday.set([...todayByTopic.values()].reduce((sum, count) => sum + count, 0));
      metrics.processingRate.set(rate);
      metrics.recentWindowSize.set(recent.count);
      metrics.retriedRatio.set(recent.count > 0 ? recent.retried / recent.count : Number.NaN);
      metrics.recentPublishLatency.set({ quantile: '0.5' }, recent.p50Seconds ?? Number.NaN);
      metrics.recentPublishLatency.set({ quantile: '0.99' }, recent.p99Seconds ?? Number.NaN);
      metrics.relayInstancesAlive.set(fleet.alive?.length ?? Number.NaN);
      metrics.relayInstancesByCircuit.reset();
      metrics.relayInstancesKafkaConnected.set(
        fleet.alive ? fleet.alive.filter((instance) => instance.kafkaConnected).length : Number.NaN,
      );
      if (fleet.alive) {
        for (const state of ['closed', 'half-open', 'open']) {
          const count = fleet.alive.filter((instance) => instance.circuitState === state).length;
          metrics.relayInstancesByCircuit.set({ circuit_state: state }, count);
        }
      }
      metrics.relaysPaused.set(fleet.paused === null ? Number.NaN : fleet.paused ? 1 : 0);
      metrics.topicEvents.reset();
      const topics = new Set([...backlog.map((row) => row.topic), ...todayByTopic.keys()]);
      for (const topic of topics) {
        const row = backlog.find((entry) => entry.topic === topic);
        metrics.topicEvents.set({ topic, status: 'pending' }, row?.pending ?? 0);
        metrics.topicEvents.set({ topic, status: 'failed' }, row?.failed ?? 0);
        metrics.topicEvents.set({ topic, status: 'processed_today' }, todayByTopic.get(topic) ?? 0);
      }
      metrics.sampledAt.set(nowMs / 1000);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  function sampleNow(): Promise<void> {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    lastStartedAt = Date.now();
    inFlight = (async () => {
      try {
        do {
          again = false;
          try {
            await readOnce();
            for (const listener of listeners) listener();
          } catch (error) {
            metrics.sampleErrors.inc();
            log.warn(
              { err: (error as Error).message },
              'reading the outbox numbers failed; next reading retries',
            );
          }
        } while (again && !stopped);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  /** A change was announced: read soon, but not more often than every `minGapMs`. */
  function request(): void {
    if (stopped || gapTimer) return;
    const wait = lastStartedAt + minGapMs - Date.now();
    if (wait <= 0) {
      void sampleNow();
      return;
    }
    gapTimer = setTimeout(() => {
      gapTimer = null;
      if (!stopped) void sampleNow();
    }, wait);
    gapTimer.unref();
  }

  return {
    async start() {
      stopped = false;
      await sampleNow();
      await notifications.start();
      timer = setInterval(() => void sampleNow(), intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (gapTimer) clearTimeout(gapTimer);
      timer = null;
      gapTimer = null;
      await notifications.stop();
      await inFlight;
    },
    sampleNow,
    onSample(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

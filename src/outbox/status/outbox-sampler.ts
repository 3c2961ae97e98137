import type pg from 'pg';
import type { Logger } from '../../infra/logger.ts';
import { createPgListener } from '../../infra/pg-listener.ts';
import { withTransaction } from '../../infra/with-transaction.ts';
import { PENDING_CHANNEL, PUBLISHED_CHANNEL, RELAY_CONTROL_CHANNEL } from '../notification-channels.ts';
import type { OutboxSnapshot, OutboxSnapshotSource } from './outbox-snapshot.ts';
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

export type OutboxSampler = OutboxSnapshotSource & {
  /** Takes the first reading (so the numbers are there when the server starts), then keeps reading. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reads now (sharing a reading in flight); resolves when `latest()` holds it. */
  sampleNow(): Promise<void>;
  /** Called after each successful reading, with it. */
  onSample(listener: (snapshot: OutboxSnapshot) => void): () => void;
};

const RATE_WINDOW_MS = 60_000;
const RECENT_LIMIT = 1000;
const RECENT_WINDOW_SECONDS = 300;

/**
 * Keeps the snapshot of the database-wide outbox numbers current (outbox-snapshot.ts): every `intervalMs`, and soon after the outbox changes
 * (the `outbox_pending`, `outbox_published` and pause-switch notifications), at most once per `minGapMs`
 * (by default the interval: at once after a quiet spell, on the interval under steady traffic). Each reading
 * is one read-only REPEATABLE READ transaction, so its numbers are consistent with each other (an event
 * is never both pending and published in one reading).
 *
 * Counting is incremental where the table grows: "processed today" and the processing rate add up the
 * rows published since the previous reading, reached through the (`published_xid`, `published_seq`)
 * index, so the cost follows the traffic, not the table's history.
 */
export function createOutboxSampler({
  pool,
  databaseUrl,
  logger,
  intervalMs,
  // Under a steady stream of changes a reading runs once per interval, not more: its counts read the
  // whole pending backlog, which on a draining million-event backlog competed with the relay itself.
  minGapMs = intervalMs,
}: {
  pool: pg.Pool;
  databaseUrl: string;
  logger: Logger;
  intervalMs: number;
  minGapMs?: number;
}): OutboxSampler {
  const log = logger.child({ component: 'outbox-sampler' });
  const listeners = new Set<(snapshot: OutboxSnapshot) => void>();
  let snapshot: OutboxSnapshot | null = null;
  let failedReadings = 0;

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
    // One REPEATABLE READ snapshot, so every figure of a reading describes the same moment.
    const { clock, pending, backlog, parked, firstReading, after, fresh, recent, fleet } =
      await withTransaction(
        pool,
        async (client) => {
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
          return { clock, pending, backlog, parked, firstReading, after, fresh, recent, fleet };
        },
        { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
      );

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
    while (published.length > 2 && (published[1]?.atMs ?? nowMs) <= nowMs - RATE_WINDOW_MS) published.shift();
    const oldest = published[0];
    const spanMs = oldest ? nowMs - oldest.atMs : 0;
    const rate = oldest && spanMs > 0 ? ((publishedTotal - oldest.total) * 1000) / spanMs : 0;

    const topicNames = [...new Set([...backlog.map((row) => row.topic), ...todayByTopic.keys()])].sort();
    const alive = fleet.alive;
    const countCircuit = (state: string) =>
      (alive ?? []).filter((instance) => instance.circuitState === state).length;
    snapshot = {
      sampledAt: clock.now,
      pendingEvents: pending.pending,
      oldestPendingAgeSeconds: pending.oldestPendingAt
        ? Math.max(0, (nowMs - pending.oldestPendingAt.getTime()) / 1000)
        : 0,
      failedEvents: backlog.reduce((sum, topic) => sum + topic.failed, 0),
      parkedAggregates: parked.aggregates,
      parkedEvents: parked.events,
      processedToday: [...todayByTopic.values()].reduce((sum, count) => sum + count, 0),
      processingRate: rate,
      recentWindowSize: recent.count,
      retriedRatio: recent.count > 0 ? recent.retried / recent.count : null,
      commitToPublishP50Seconds: recent.p50Seconds ?? null,
      commitToPublishP99Seconds: recent.p99Seconds ?? null,
      relayFleet: alive
        ? {
            alive: alive.length,
            kafkaConnected: alive.filter((instance) => instance.kafkaConnected).length,
            byCircuit: {
              closed: countCircuit('closed'),
              'half-open': countCircuit('half-open'),
              open: countCircuit('open'),
            },
          }
        : null,
      relaysPaused: fleet.paused,
      topics: topicNames.map((topic) => {
        const row = backlog.find((entry) => entry.topic === topic);
        return {
          topic,
          pending: row?.pending ?? 0,
          failed: row?.failed ?? 0,
          processedToday: todayByTopic.get(topic) ?? 0,
        };
      }),
    };
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
            const reading = snapshot;
            if (reading) for (const listener of listeners) listener(reading);
          } catch (error) {
            failedReadings += 1;
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
    latest: () => snapshot,
    failedReadings: () => failedReadings,
    onSample(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

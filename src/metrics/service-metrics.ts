import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { WebSocketWriteStats } from '../http/batched-socket-writes.ts';
import type { PublishedFeedStats } from '../outbox/feed/published-feed.ts';
import type { RelayStatus } from '../outbox/relay/create-relay.ts';
import type { OutboxSnapshot, OutboxSnapshotSource } from '../outbox/status/outbox-snapshot.ts';
import { createEventLoopDelayMetrics } from './event-loop-delay.ts';

/**
 * The one prom-client registry of a process and every metric in it.
 *
 * Two kinds of numbers live here:
 * - the outbox as the database sees it, whichever process runs the relays (pending, failed, parked,
 *   oldest pending age, processed today, processing rate, recent commit-to-publish latency): gauges
 *   that read the outbox sampler's latest snapshot at scrape time (src/outbox/status/outbox-snapshot.ts),
 *   the same object the GraphQL `outboxMetrics` view reads, so the two never disagree. Every server
 *   process exports the same values, so dashboards aggregate them with max(), not sum();
 * - what this process's relay did (processed, errors, retries, durations): counters and histograms fed
 *   by the relay observer, summed across instances as usual.
 *
 * A value that is not known (no relay-instances table yet, no recent publication) is NaN, which
 * Prometheus understands as "no number" (null in the snapshot).
 */
export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;

const CIRCUIT_STATE_VALUES: Record<RelayStatus['circuitState'], number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

/**
 * Quantiles the sampler computes in the database (over the recent publications of every relay), set like
 * a gauge's values and exposed as what they are: a summary. Prometheus reserves the `quantile` label for
 * summaries (`promtool check metrics` rejects it on a gauge). There is no `_sum` or `_count`: those are
 * cumulative counters in a summary, and this window is not cumulative (its size is
 * petstore_outbox_recent_window_events).
 */
class QuantilesReadFromDatabase<T extends string> extends Gauge<T> {
  override async get() {
    const metric = await super.get();
    return { ...metric, type: 'summary' as unknown as typeof metric.type };
  }
}

// prom-client's default metrics include gauges named *_total (totals of the per-type gauges beside them),
// which Prometheus' naming rules keep for counters; the per-type gauges carry the same numbers.
const DEFAULT_METRICS_NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const orNaN = (value: number | null): number => value ?? Number.NaN;

export function createServiceMetrics({
  relayStatus,
  outbox,
  topics = [],
  defaultMetrics = true,
  feed = () => null,
  webSocketWrites = () => null,
}: {
  /** The in-process relay's status, or null when this process runs none (read at scrape time). */
  relayStatus: () => RelayStatus | null;
  /** The outbox sampler's snapshot (read at scrape time); without one the outbox gauges stay empty. */
  outbox?: OutboxSnapshotSource;
  /** The topics the relay publishes to: their counters start at 0, so rate() has a series from the start. */
  topics?: readonly string[];
  /** Node's process metrics (CPU, memory, event-loop lag and delay, GC). */
  defaultMetrics?: boolean;
  /** This process's live feed (eventPublished), read at scrape time; null when it runs none. */
  feed?: () => PublishedFeedStats | null;
  /** What this process's graphql-ws sockets hold unsent, read at scrape time; null when it serves none. */
  webSocketWrites?: () => WebSocketWriteStats | null;
}) {
  const registry = new Registry();
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    for (const name of DEFAULT_METRICS_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  const eventLoopDelay = defaultMetrics ? createEventLoopDelayMetrics(registers) : null;

  const relayGauge = (name: string, help: string, read: (status: RelayStatus) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const status = relayStatus();
        this.set(status ? read(status) : Number.NaN);
      },
    });

  /** A gauge whose value is one number of the latest snapshot; it keeps its default until the first reading. */
  const outboxGauge = (name: string, help: string, read: (snapshot: OutboxSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const snapshot = outbox?.latest();
        if (snapshot) this.set(read(snapshot));
      },
    });

  const metrics = {
    registry,
    /** Stops the event-loop monitors. */
    close: () => eventLoopDelay?.close(),

    // The outbox in the database (sampler).
    pendingEvents: outboxGauge(
      'petstore_outbox_pending_events',
      'Events waiting to be published (all relays; read from the partial index on pending rows).',
      (s) => s.pendingEvents,
    ),
    failedEvents: outboxGauge(
      'petstore_outbox_failed_events',
      'Events that exhausted OUTBOX_MAX_RETRIES and wait in the dead-letter state.',
      (s) => s.failedEvents,
    ),
    parkedAggregates: outboxGauge(
      'petstore_outbox_parked_aggregates',
      'Aggregates blocked behind a dead-lettered event until it is replayed.',
      (s) => s.parkedAggregates,
    ),
    parkedEvents: outboxGauge(
      'petstore_outbox_parked_events',
      'Pending events waiting behind a dead-lettered event of their aggregate.',
      (s) => s.parkedEvents,
    ),
    oldestPendingAgeSeconds: outboxGauge(
      'petstore_outbox_oldest_pending_age_seconds',
      'Age of the oldest pending event (0 when nothing is pending).',
      (s) => s.oldestPendingAgeSeconds,
    ),
    processedToday: outboxGauge(
      'petstore_outbox_processed_today',
      'Events published since midnight UTC, by any relay.',
      (s) => s.processedToday,
    ),
    processingRate: outboxGauge(
      'petstore_outbox_processing_rate_per_second',
      'Events published per second over the last minute, by any relay.',
      (s) => s.processingRate,
    ),
    retriedRatio: outboxGauge(
      'petstore_outbox_recent_retried_ratio',
      'Share of the recently published events that needed at least one retry (0 to 1).',
      (s) => orNaN(s.retriedRatio),
    ),
    recentPublishLatency: new QuantilesReadFromDatabase({
      name: 'petstore_outbox_recent_commit_to_publish_seconds',
      help: 'Commit-to-publish latency quantiles over the most recent publications (all relays).',
      labelNames: ['quantile'] as const,
      registers,
      collect() {
        const snapshot = outbox?.latest();
        if (!snapshot) return;
        this.set({ quantile: '0.5' }, orNaN(snapshot.commitToPublishP50Seconds));
        this.set({ quantile: '0.99' }, orNaN(snapshot.commitToPublishP99Seconds));
      },
    }),
    recentWindowSize: outboxGauge(
      'petstore_outbox_recent_window_events',
      'How many recent publications the latency quantiles and retried ratio cover.',
      (s) => s.recentWindowSize,
    ),
    topicEvents: new Gauge({
      name: 'petstore_outbox_topic_events',
      help: 'Outbox events per topic: status="pending", "failed" or "processed_today".',
      labelNames: ['topic', 'status'] as const,
      registers,
      collect() {
        const snapshot = outbox?.latest();
        if (!snapshot) return;
        this.reset();
        for (const { topic, pending, failed, processedToday } of snapshot.topics) {
          this.set({ topic, status: 'pending' }, pending);
          this.set({ topic, status: 'failed' }, failed);
          this.set({ topic, status: 'processed_today' }, processedToday);
        }
      },
    }),
    relayInstancesAlive: outboxGauge(
      'petstore_outbox_relay_instances_alive',
      'Relay instances, in any process, whose heartbeat is recent (NaN where the database keeps none).',
      (s) => orNaN(s.relayFleet?.alive ?? null),
    ),
    relayInstancesByCircuit: new Gauge({
      name: 'petstore_outbox_relay_instances_circuit',
      help: 'Live relay instances by the state of their circuit breaker (closed, half-open, open).',
      labelNames: ['circuit_state'] as const,
      registers,
      collect() {
        const snapshot = outbox?.latest();
        if (!snapshot) return;
        this.reset();
        const byCircuit = snapshot.relayFleet?.byCircuit;
        if (byCircuit)
          for (const [state, count] of Object.entries(byCircuit)) this.set({ circuit_state: state }, count);
      },
    }),
    relayInstancesKafkaConnected: outboxGauge(
      'petstore_outbox_relay_instances_kafka_connected',
      'Live relay instances whose producer is connected to Kafka.',
      (s) => orNaN(s.relayFleet?.kafkaConnected ?? null),
    ),
    relaysPaused: outboxGauge(
      'petstore_outbox_relays_paused',
      '1 while an operator has paused the relays database-wide, else 0 (NaN when unknown).',
      (s) => (s.relaysPaused === null ? Number.NaN : s.relaysPaused ? 1 : 0),
    ),
    sampledAt: outboxGauge(
      'petstore_outbox_sampled_at_seconds',
      'Unix time of the last successful read of the outbox numbers above.',
      (s) => s.sampledAt.getTime() / 1000,
    ),
    sampleErrors: new Counter({
      name: 'petstore_outbox_sample_errors_total',
      help: 'Failed reads of the outbox numbers (the values above then keep their last reading).',
      registers,
      collect() {
        // The sampler counts its failures; a counter is only ever set from that count, which never falls.
        if (!outbox) return;
        this.reset();
        this.inc(outbox.failedReadings());
      },
    }),

    // This process's relay (observer hooks).
    processedTotal: new Counter({
      name: 'petstore_outbox_processed_total',
      help: 'Events this process published and marked published.',
      labelNames: ['topic'] as const,
      registers,
    }),
    errorsTotal: new Counter({
      name: 'petstore_outbox_errors_total',
      help: 'Failed publish attempts of an event: outcome="retry" (will be retried) or "failed" (dead-lettered).',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    retriesTotal: new Counter({
      name: 'petstore_outbox_retries_total',
      help: 'Publish attempts that failed and were scheduled for a retry with backoff.',
      labelNames: ['topic'] as const,
      registers,
    }),
    failedTotal: new Counter({
      name: 'petstore_outbox_failed_total',
      help: 'Events this process moved to the dead-letter state.',
      labelNames: ['topic'] as const,
      registers,
    }),
    processingDuration: new Histogram({
      name: 'petstore_outbox_processing_duration_seconds',
      help: 'Time to publish one batch to Kafka (acknowledged by all in-sync replicas) and mark it published.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    publishLatency: new Histogram({
      name: 'petstore_outbox_commit_to_publish_seconds',
      help: 'From the outbox row being written to its publication being marked, per event (this process).',
      labelNames: ['topic'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    circuitOpenedTotal: new Counter({
      name: 'petstore_outbox_circuit_opened_total',
      help: "Times this process's relay circuit breaker opened (broker unreachable).",
      registers,
    }),
    circuitState: relayGauge(
      'petstore_outbox_circuit_state',
      "This process's relay circuit: 0 closed, 1 half-open, 2 open (NaN when no relay runs here).",
      (status) => CIRCUIT_STATE_VALUES[status.circuitState],
    ),
    relayRunning: relayGauge(
      'petstore_outbox_relay_running',
      "1 while this process's relay is started (NaN when no relay runs here).",
      (status) => (status.running ? 1 : 0),
    ),
    relayPaused: relayGauge(
      'petstore_outbox_relay_paused',
      "1 while this process's relay is paused (NaN when no relay runs here).",
      (status) => (status.paused ? 1 : 0),
    ),
    kafkaConnected: relayGauge(
      'petstore_outbox_kafka_connected',
      "1 while this process's relay producer is connected (NaN when no relay runs here).",
      (status) => (status.kafkaConnected ? 1 : 0),
    ),

    // GraphQL (graphql-metrics-plugin.ts).
    graphqlDuration: new Histogram({
      name: 'petstore_graphql_operation_duration_seconds',
      help: 'Execution time of GraphQL queries and mutations, by operation.',
      labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    // This process's live feed (src/outbox/feed/published-feed.ts), read at scrape time.
    feedSubscribers: new Gauge({
      name: 'petstore_feed_subscribers',
      help: 'Open eventPublished subscriptions in this process, by whether they follow the events in memory or catch up from the table.',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const stats = feed();
        if (!stats) return;
        this.set({ state: 'following' }, stats.subscribers - stats.catchingUp);
        this.set({ state: 'catching_up' }, stats.catchingUp);
      },
    }),
    feedBufferedEvents: new Gauge({
      name: 'petstore_feed_buffered_events',
      help: "Published events the live feed holds for its subscribers: the recent events every subscriber follows, and the catch-up reader's cached pages. Bounded whatever the number of subscribers.",
      labelNames: ['buffer'] as const,
      registers,
      collect() {
        const stats = feed();
        if (!stats) return;
        this.set({ buffer: 'recent' }, stats.recentEvents);
        this.set({ buffer: 'catch_up' }, stats.catchUpEvents);
      },
    }),
    feedPagesRead: new Counter({
      name: 'petstore_feed_pages_read_total',
      help: 'Pages of published events the live feed read from the table: by its live reader, and for subscribers catching up (one read per page, shared by the subscribers near it).',
      labelNames: ['reader'] as const,
      registers,
      collect() {
        const stats = feed();
        if (!stats) return;
        // Set from the feed's own counts, which never fall.
        this.reset();
        this.inc({ reader: 'live' }, stats.livePagesRead);
        this.inc({ reader: 'catch_up' }, stats.catchUpPagesRead);
      },
    }),
    // graphql-ws sockets (src/http/batched-socket-writes.ts), read at scrape time.
    webSocketBufferedBytes: new Gauge({
      name: 'petstore_websocket_buffered_bytes',
      help: 'Bytes queued in this process for graphql-ws clients and not yet taken by the kernel. Bounded per socket: a client that reads too slowly stops receiving events until it catches up.',
      registers,
      collect() {
        const stats = webSocketWrites();
        if (stats) this.set(stats.bufferedBytes);
      },
    }),
    webSocketsHeldBack: new Gauge({
      name: 'petstore_websockets_held_back',
      help: 'graphql-ws sockets whose subscriptions wait for their client to read what was already sent.',
      registers,
      collect() {
        const stats = webSocketWrites();
        if (stats) this.set(stats.heldBack);
      },
    }),
    graphqlSubscriptions: new Gauge({
      name: 'petstore_graphql_subscriptions_active',
      help: 'Open GraphQL subscriptions, by operation.',
      labelNames: ['operation_name'] as const,
      registers,
    }),
  };
  for (const topic of topics) {
    metrics.processedTotal.inc({ topic }, 0);
    metrics.retriesTotal.inc({ topic }, 0);
    metrics.failedTotal.inc({ topic }, 0);
    for (const outcome of ['retry', 'failed']) metrics.errorsTotal.inc({ topic, outcome }, 0);
  }
  return metrics;
}

/**
 * One reading of the outbox as the database sees it, whichever process runs the relays: a plain
 * object the sampler (outbox-sampler.ts) replaces after every successful reading. Prometheus
 * (src/metrics/service-metrics.ts) and the GraphQL `outboxMetrics` view (outbox-status.ts) both read
 * it, so the two never disagree and neither reads the other.
 *
 * `null` stands for "not known": no recent publication to take a quantile of, or a database without
 * the relay-instances or pause-switch table.
 */
export type OutboxSnapshot = {
  /** The database's clock when the reading was taken. */
  sampledAt: Date;
  pendingEvents: number;
  /** Age of the oldest pending event; 0 when nothing is pending. */
  oldestPendingAgeSeconds: number;
  failedEvents: number;
  /** Aggregates blocked behind a dead-lettered event, and the pending events waiting behind them. */
  parkedAggregates: number;
  parkedEvents: number;
  /** Published since midnight UTC, by any relay. */
  processedToday: number;
  /** Published per second over the last minute, by any relay. */
  processingRate: number;
  /** How many recent publications the quantiles and the retried ratio cover. */
  recentWindowSize: number;
  retriedRatio: number | null;
  commitToPublishP50Seconds: number | null;
  commitToPublishP99Seconds: number | null;
  /** Live relay instances in any process; null when the database keeps no heartbeats. */
  relayFleet: RelayFleetSnapshot | null;
  /** The database-wide pause switch; null when the database has none. */
  relaysPaused: boolean | null;
  topics: TopicCounts[];
};

export type RelayFleetSnapshot = {
  alive: number;
  kafkaConnected: number;
  byCircuit: { closed: number; 'half-open': number; open: number };
};

export type TopicCounts = { topic: string; pending: number; failed: number; processedToday: number };

/** Where the latest snapshot is read: the sampler, or anything that keeps one. */
export type OutboxSnapshotSource = {
  /** The latest successful reading; null before the first one. */
  latest(): OutboxSnapshot | null;
  /** Readings that failed since start (the snapshot then keeps its last value). */
  failedReadings(): number;
};

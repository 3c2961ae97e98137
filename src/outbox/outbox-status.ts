import { Repeater } from 'graphql-yoga';
import type { Gauge } from 'prom-client';
import type { OutboxSampler } from '../metrics/outbox-sampler.ts';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import type { RelayStatus } from './relay/create-relay.ts';

export type TopicCounts = { topic: string; pending: number; failed: number; processedToday: number };

export type OutboxStatus = {
  pendingEvents: number;
  failedEvents: number;
  processedToday: number;
  running: boolean;
  kafkaConnected: boolean;
  serviceStatus: 'running' | 'degraded' | 'stopped';
  kafkaStatus: 'connected' | 'disconnected' | 'unknown';
  circuitState: RelayStatus['circuitState'] | 'unknown';
  paused: boolean;
  processingRate: number;
  retryRate: number | null;
  oldestPendingAgeSeconds: number | null;
  commitToPublishP50Seconds: number | null;
  commitToPublishP99Seconds: number | null;
  recentWindowSize: number;
  parkedAggregates: number;
  parkedEvents: number;
  relayInstancesAlive: number | null;
  topics: TopicCounts[];
  sampledAt: Date | null;
  timestamp: Date;
};

export type OutboxStatusReader = {
  read(): Promise<OutboxStatus>;
  /** The status now, then again after every reading of the database and at every relay state change. */
  updates(): AsyncIterable<OutboxStatus>;
};

const finite = (value: number | undefined): number | null =>
  value === undefined || Number.isNaN(value) ? null : value;

async function readValue(gauge: Gauge, labels: Record<string, string> = {}): Promise<number | null> {
  const { values } = await gauge.get();
  const match = values.find((entry) =>
    Object.entries(labels).every(([name, value]) => entry.labels[name] === value),
  );
  return finite(match?.value);
}

type FleetState = {
  /** Live relay instances in any process (null: the database keeps no heartbeats). */
  alive: number | null;
  connected: number | null;
  open: number;
  halfOpen: number;
  /** The database-wide pause switch. */
  paused: boolean;
};

type RelayState = Pick<
  OutboxStatus,
  'running' | 'kafkaConnected' | 'serviceStatus' | 'kafkaStatus' | 'circuitState' | 'paused'
>;

/**
 * With a relay in this process, its own state; without one (a GraphQL-only server), the state of the
 * relays that heartbeat in the database, so every server tells the same story.
 */
function relayState(relay: RelayStatus | null, fleet: FleetState): RelayState {
  if (relay) {
    const healthy = relay.kafkaConnected && relay.circuitState !== 'open';
    return {
      running: relay.running,
      kafkaConnected: relay.kafkaConnected,
      serviceStatus: relay.running ? (healthy ? 'running' : 'degraded') : 'stopped',
      kafkaStatus: relay.kafkaConnected ? 'connected' : 'disconnected',
      circuitState: relay.circuitState,
      paused: relay.paused || fleet.paused,
    };
  }
  if (fleet.alive === null) {
    return {
      running: false,
      kafkaConnected: false,
      serviceStatus: 'running',
      kafkaStatus: 'unknown',
      circuitState: 'unknown',
      paused: fleet.paused,
    };
  }
  const allConnected = fleet.alive > 0 && fleet.connected === fleet.alive;
  return {
    running: false,
    kafkaConnected: allConnected,
    serviceStatus: fleet.alive === 0 ? 'stopped' : allConnected && fleet.open === 0 ? 'running' : 'degraded',
    kafkaStatus: fleet.alive === 0 ? 'unknown' : allConnected ? 'connected' : 'disconnected',
    circuitState:
      fleet.alive === 0 ? 'unknown' : fleet.open > 0 ? 'open' : fleet.halfOpen > 0 ? 'half-open' : 'closed',
    paused: fleet.paused,
  };
}

/** The parts of a relay's status that a watcher wants to hear about the moment they change. */
function stateKey(status: RelayStatus | null): string {
  if (!status) return 'none';
  return [status.running, status.paused, status.kafkaConnected, status.circuitState].join('|');
}

/**
 * The `outboxMetrics` view: database-wide numbers read from the Prometheus gauges the sampler keeps
 * (the same objects `/metrics` exports, never a COUNT per request), and this process's relay state.
 */
export function createOutboxStatusReader({
  metrics,
  sampler,
  relayStatus,
  stateCheckMs = 250,
}: {
  metrics: ServiceMetrics;
  sampler: Pick<OutboxSampler, 'onSample'>;
  /** The in-process relay's status, or null when this process runs none. */
  relayStatus: () => RelayStatus | null;
  /** How often the in-process relay state is compared with the last one sent (a memory read). */
  stateCheckMs?: number;
}): OutboxStatusReader & { notifyStateChange(): void } {
  const stateListeners = new Set<() => void>();

  async function read(): Promise<OutboxStatus> {
    const relay = relayStatus();
    const { values: topicValues } = await metrics.topicEvents.get();
    const topics = new Map<string, TopicCounts>();
    for (const { labels, value } of topicValues) {
      const topic = String(labels.topic);
      const counts = topics.get(topic) ?? { topic, pending: 0, failed: 0, processedToday: 0 };
      if (labels.status === 'pending') counts.pending = value;
      if (labels.status === 'failed') counts.failed = value;
      if (labels.status === 'processed_today') counts.processedToday = value;
      topics.set(topic, counts);
    }
    const relayInstancesAlive = await readValue(metrics.relayInstancesAlive);
    const fleet: FleetState = {
      alive: relayInstancesAlive,
      connected: await readValue(metrics.relayInstancesKafkaConnected),
      open: (await readValue(metrics.relayInstancesByCircuit, { circuit_state: 'open' })) ?? 0,
      halfOpen: (await readValue(metrics.relayInstancesByCircuit, { circuit_state: 'half-open' })) ?? 0,
      paused: (await readValue(metrics.relaysPaused)) === 1,
    };
    const sampledAt = await readValue(metrics.sampledAt);
    const pendingEvents = (await readValue(metrics.pendingEvents)) ?? 0;
    return {
      pendingEvents,
      failedEvents: (await readValue(metrics.failedEvents)) ?? 0,
      processedToday: (await readValue(metrics.processedToday)) ?? 0,
      ...relayState(relay, fleet),
      processingRate: (await readValue(metrics.processingRate)) ?? 0,
      retryRate: await readValue(metrics.retriedRatio),
      oldestPendingAgeSeconds: pendingEvents > 0 ? await readValue(metrics.oldestPendingAgeSeconds) : null,
      commitToPublishP50Seconds: await readValue(metrics.recentPublishLatency, { quantile: '0.5' }),
      commitToPublishP99Seconds: await readValue(metrics.recentPublishLatency, { quantile: '0.99' }),
      recentWindowSize: (await readValue(metrics.recentWindowSize)) ?? 0,
      parkedAggregates: (await readValue(metrics.parkedAggregates)) ?? 0,
      parkedEvents: (await readValue(metrics.parkedEvents)) ?? 0,
      relayInstancesAlive,
      topics: [...topics.values()].sort((a, b) => a.topic.localeCompare(b.topic)),
      sampledAt: sampledAt === null || sampledAt === 0 ? null : new Date(sampledAt * 1000),
      timestamp: new Date(),
    };
  }

  return {
    read,
    /** For the relay observer: a circuit change is pushed at once. */
    notifyStateChange() {
      for (const listener of stateListeners) listener();
    },
    updates() {
      return new Repeater<OutboxStatus>(async (push, stop) => {
        let wanted = true;
        let wake: (() => void) | null = null;
        const poke = () => {
          wanted = true;
          wake?.();
        };
        let lastState = stateKey(relayStatus());
        const stateTimer = setInterval(() => {
          const state = stateKey(relayStatus());
          if (state !== lastState) poke();
        }, stateCheckMs);
        const unsubscribe = sampler.onSample(poke);
        stateListeners.add(poke);
        let stopped = false;
        stop.then(() => {
          stopped = true;
          wake?.();
        });
        try {
          while (!stopped) {
            if (!wanted) {
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              wake = null;
              continue;
            }
            wanted = false;
            lastState = stateKey(relayStatus());
            // Waits for the client to take it: a slow client gets the latest status, not a queue of old ones.
            // (A Repeater settles a pending push when it stops; racing it with `stop` would leave one
            // reaction on `stop` per update for the subscription's whole life.)
            await push(await read());
          }
        } finally {
          clearInterval(stateTimer);
          unsubscribe();
          stateListeners.delete(poke);
        }
      });
    },
  };
}

import { Repeater } from '@repeaterjs/repeater';
import type { RelayStatus } from '../relay/create-relay.ts';
import type { OutboxSampler } from './outbox-sampler.ts';
import type { OutboxSnapshot, TopicCounts } from './outbox-snapshot.ts';

export type { TopicCounts } from './outbox-snapshot.ts';

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
  /** The relay state alone, from memory. */
  state(): OutboxState;
  /** The status now, then again after every reading of the database and at every relay state change. */
  updates(): AsyncIterable<OutboxStatus>;
};

type FleetState = {
  /** Live relay instances in any process (null: the database keeps no heartbeats). */
  alive: number | null;
  connected: number | null;
  open: number;
  halfOpen: number;
  /** The database-wide pause switch. */
  paused: boolean;
};

/** Whether the relays run and reach Kafka: the part of the status known from memory. */
export type OutboxState = Pick<
  OutboxStatus,
  'running' | 'kafkaConnected' | 'serviceStatus' | 'kafkaStatus' | 'circuitState' | 'paused'
>;

/**
 * With a relay in this process, its own state; without one (a GraphQL-only server), the state of the
 * relays that heartbeat in the database, so every server tells the same story.
 */
function relayState(relay: RelayStatus | null, fleet: FleetState): OutboxState {
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

function fleetOf(snapshot: OutboxSnapshot | null): FleetState {
  const fleet = snapshot?.relayFleet ?? null;
  return {
    alive: fleet?.alive ?? null,
    connected: fleet?.kafkaConnected ?? null,
    open: fleet?.byCircuit.open ?? 0,
    halfOpen: fleet?.byCircuit['half-open'] ?? 0,
    paused: snapshot?.relaysPaused === true,
  };
}

/**
 * The `outboxMetrics` view: the database-wide numbers of the sampler's latest snapshot (never a COUNT
 * per request; `/metrics` exports the same snapshot), and this process's relay state.
 */
export function createOutboxStatusReader({
  sampler,
  relayStatus,
  stateCheckMs = 250,
}: {
  sampler: Pick<OutboxSampler, 'onSample' | 'latest'>;
  /** The in-process relay's status, or null when this process runs none. */
  relayStatus: () => RelayStatus | null;
  /** How often the in-process relay state is compared with the last one sent (a memory read). */
  stateCheckMs?: number;
}): OutboxStatusReader & { notifyStateChange(): void } {
  const stateListeners = new Set<() => void>();

  function current(): OutboxStatus {
    const snapshot = sampler.latest();
    const pendingEvents = snapshot?.pendingEvents ?? 0;
    return {
      pendingEvents,
      failedEvents: snapshot?.failedEvents ?? 0,
      processedToday: snapshot?.processedToday ?? 0,
      ...relayState(relayStatus(), fleetOf(snapshot)),
      processingRate: snapshot?.processingRate ?? 0,
      retryRate: snapshot?.retriedRatio ?? null,
      oldestPendingAgeSeconds: snapshot && pendingEvents > 0 ? snapshot.oldestPendingAgeSeconds : null,
      commitToPublishP50Seconds: snapshot?.commitToPublishP50Seconds ?? null,
      commitToPublishP99Seconds: snapshot?.commitToPublishP99Seconds ?? null,
      recentWindowSize: snapshot?.recentWindowSize ?? 0,
      parkedAggregates: snapshot?.parkedAggregates ?? 0,
      parkedEvents: snapshot?.parkedEvents ?? 0,
      relayInstancesAlive: snapshot?.relayFleet?.alive ?? null,
      topics: snapshot?.topics ?? [],
      sampledAt: snapshot?.sampledAt ?? null,
      timestamp: new Date(),
    };
  }
  const read = async (): Promise<OutboxStatus> => current();

  return {
    read,
    state: () => relayState(relayStatus(), fleetOf(sampler.latest())),
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

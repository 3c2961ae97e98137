import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../scripts/lib/free-port.ts';
import { SERVICE_NODE_FLAGS } from '../../scripts/lib/service-node-flags.ts';
import type { BenchContext } from '../scenarios/bench-context.ts';
import { logFileFor } from '../scenarios/bench-context.ts';
import { currentRssBytes } from './process-memory.ts';
import { relayEntry, SERVER_ENTRY } from './repo-paths.ts';
import {
  relayStarted,
  type ServiceProcess,
  serviceEnvironment,
  startServiceProcess,
} from './service-process.ts';

/** The server's own account of its memory (prom-client's default metrics), read at the end of a scenario. */
export type HeapStats = {
  rssBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
};

/** How late the server's event loop ran over its whole life (its petstore_event_loop_delay_* window="process"). */
export type EventLoopDelay = { p99Seconds: number; maxSeconds: number };

export type RunningServer = ServiceProcess & {
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  /** RSS once ready, before any load: start-up done, a second to settle, nothing served yet. */
  idleRssBytes: number | null;
  /** From /metrics; null when the server does not expose the Node.js default metrics. */
  heapStats(): Promise<HeapStats | null>;
  /** From /metrics, read at the end of a scenario: the server process lives for that scenario only. */
  eventLoopDelay(): Promise<EventLoopDelay | null>;
};

const EVENT_LOOP_LINE = /^petstore_event_loop_delay_(p99|max)_seconds\{window="process"\} (\S+)$/gm;

async function readEventLoopDelay(url: string): Promise<EventLoopDelay | null> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    const values = new Map<string, number>();
    for (const match of text.matchAll(EVENT_LOOP_LINE)) values.set(match[1] as string, Number(match[2]));
    const p99 = values.get('p99');
    const max = values.get('max');
    if (p99 === undefined || max === undefined || Number.isNaN(p99) || Number.isNaN(max)) return null;
    return { p99Seconds: p99, maxSeconds: max };
  } catch {
    return null;
  }
}

const METRIC_LINE =
  /^(process_resident_memory_bytes|nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes|nodejs_external_memory_bytes)(?:\{[^}]*\})? ([\d.e+]+)/gm;

async function readHeapStats(url: string): Promise<HeapStats | null> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    const values = new Map<string, number>();
    for (const match of text.matchAll(METRIC_LINE)) values.set(match[1] as string, Number(match[2]));
    const rss = values.get('process_resident_memory_bytes');
    const heapTotal = values.get('nodejs_heap_size_total_bytes');
    const heapUsed = values.get('nodejs_heap_size_used_bytes');
    if (rss === undefined || heapTotal === undefined || heapUsed === undefined) return null;
    return {
      rssBytes: rss,
      heapTotalBytes: heapTotal,
      heapUsedBytes: heapUsed,
      externalBytes: values.get('nodejs_external_memory_bytes') ?? 0,
    };
  } catch {
    return null;
  }
}

export type ServiceSettings = {
  databaseUrl: string;
  topicPrefix: string;
  /** Extra service variables, e.g. OUTBOX_BATCH_SIZE. */
  env?: Record<string, string>;
};

function baseEnvironment(
  context: BenchContext,
  settings: ServiceSettings,
  logLevel: string,
): Record<string, string> {
  return {
    DATABASE_URL: settings.databaseUrl,
    KAFKA_BROKERS: context.brokers.join(','),
    KAFKA_TOPIC_PREFIX: settings.topicPrefix,
    LOG_LEVEL: logLevel,
    ...settings.env,
  };
}

/** What /ready tells anyone (details are for admins): "up" means connected with the circuit closed. */
type ReadyBody = { checks?: { broker?: { status?: string } } };

/** The whole service (`src/main.ts`: API, live feed and its embedded relay) on a port of its own. */
export async function startServer(
  context: BenchContext,
  label: string,
  settings: ServiceSettings,
): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const relayEnabled = settings.env?.OUTBOX_RELAY_ENABLED !== 'false';
  const server = await startServiceProcess({
    label,
    entry: SERVER_ENTRY,
    // As `npm run serve` starts it.
    nodeFlags: SERVICE_NODE_FLAGS,
    env: serviceEnvironment({
      ...baseEnvironment(context, settings, context.options.logLevel),
      PORT: String(port),
    }),
    logFile: logFileFor(context, label),
    cpuProfDir: context.profilesDir,
    // Ready for a benchmark: answering, and (with a relay) connected to Kafka, so no measurement
    // includes the first connection.
    ready: async () => {
      try {
        const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) });
        const body = (await response.json()) as ReadyBody;
        return response.ok && (!relayEnabled || body.checks?.broker?.status === 'up');
      } catch {
        return false;
      }
    },
  });
  const unregister = context.onCleanup(() => server.stop());
  await sleep(1000);
  const idleRssBytes = currentRssBytes(server.pid);
  return {
    ...server,
    idleRssBytes,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    heapStats: () => readHeapStats(url),
    eventLoopDelay: () => readEventLoopDelay(url),
    async stop() {
      unregister();
      return server.stop();
    },
  };
}

/** One more relay instance on the same database: `src/relay-main.ts`, or a second service process until it exists. */
export async function startExtraRelay(
  context: BenchContext,
  label: string,
  settings: ServiceSettings,
): Promise<ServiceProcess & { standalone: boolean }> {
  const { entry, standalone } = relayEntry();
  const port = await freePort();
  // The relay only logs at info when it starts and stops, so readiness can be read from its log.
  const relay = await startServiceProcess({
    label,
    entry,
    // As `npm run relay` starts it.
    nodeFlags: SERVICE_NODE_FLAGS,
    env: serviceEnvironment({ ...baseEnvironment(context, settings, 'info'), PORT: String(port) }),
    logFile: logFileFor(context, label),
    cpuProfDir: context.profilesDir,
    ready: relayStarted,
  });
  const unregister = context.onCleanup(() => relay.stop());
  return {
    ...relay,
    standalone,
    async stop() {
      unregister();
      return relay.stop();
    },
  };
}

/**
 * The API server started with OUTBOX_RELAY_ENABLED=false, and the relay as a process of its own
 * (`npm run relay`): the topology for the scenarios that load the API or the live feed. Embedded, the
 * relay shares the server's one event loop, and once that loop is saturated (requests, or hundreds of
 * subscribers) every step of the relay waits behind the queue: in the latency scenario it fell a
 * minute behind (commit → ack p50 58.5 s, API at 270 requests/s), and in the fan-out scenario
 * events written during the load were still unpublished two minutes after it.
 */
export async function startServerAndStandaloneRelay(
  context: BenchContext,
  label: string,
  settings: ServiceSettings,
): Promise<{ server: RunningServer; relay: ServiceProcess & { standalone: boolean } }> {
  const server = await startServer(context, `${label}-server`, {
    ...settings,
    env: { ...settings.env, OUTBOX_RELAY_ENABLED: 'false' },
  });
  const relay = await startExtraRelay(context, `${label}-relay`, settings);
  return { server, relay };
}

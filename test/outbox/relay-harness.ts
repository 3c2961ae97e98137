/**
 * Helpers for the relay tests: relays in this process (createOutboxService, as the server composes them) and in
 * child processes (`node --import tsx src/relay-main.ts`, as `npm run relay` runs it), events written
 * through the real enqueue path, and Kafka read by independent consumers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '../../src/config/env.ts';
import type { Database } from '../../src/infra/db.ts';
import { enqueueOutboxEvent } from '../../src/outbox/enqueue.ts';
import type { Relay, RelayObserver } from '../../src/outbox/relay/create-relay.ts';
import type { EventPublisher } from '../../src/outbox/relay/publish-events.ts';
import type { AggregateType } from '../../src/outbox/topics.ts';
import { createOutboxService, type OutboxService } from '../../src/outbox-service/create-outbox-service.ts';
import { type CollectedMessage, TEST_BROKERS } from '../support/kafka-collector.ts';
import { sequencesByAggregate } from '../support/kafka-order.ts';

export { sequencesByAggregate } from '../support/kafka-order.ts';
export { readTopics } from '../support/read-topics.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_BROKERS = TEST_BROKERS.join(',');

export function testConfig(env: Record<string, string>): Config {
  return loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KAFKA_BROKERS: DEFAULT_BROKERS,
    OUTBOX_POLLING_INTERVAL: '0.2',
    ...env,
  });
}

export type InProcessRelay = {
  relay: Relay;
  outbox: OutboxService;
  /** Resolves once the relay has started (connected, listening, heartbeating). */
  started: Promise<void>;
  stop(): Promise<void>;
};

/**
 * A relay composed by the outbox library, as src/app.ts and src/relay-main.ts compose it, with its
 * own pools and producer (no live feed, no sampler: the tests read the table and Kafka themselves).
 * `wrapPublisher` lets a test put something between the relay and the real producer (a delay).
 */
export function startInProcessRelay(
  env: Record<string, string>,
  {
    observer,
    relayId,
    wrapPublisher,
  }: {
    observer?: RelayObserver;
    relayId?: string;
    wrapPublisher?: (publisher: EventPublisher) => EventPublisher;
  } = {},
): InProcessRelay {
  const outbox = createOutboxService({
    config: testConfig(env),
    relay: {
      source: '/petstore-outbox-test',
      ...(observer ? { observer } : {}),
      ...(relayId ? { relayId } : {}),
      ...(wrapPublisher ? { decoratePublisher: wrapPublisher } : {}),
    },
    sampler: false,
    feed: false,
  });
  const relay = outbox.relay as Relay;
  return {
    relay,
    outbox,
    started: outbox.start(),
    stop: () => outbox.stop(),
  };
}

export type ChildRelay = {
  child: ChildProcess;
  /** Resolves with the relay id once the child logged that it runs. */
  ready: Promise<string>;
  exited: Promise<number | null>;
  output: string[];
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
};

/**
 * `npm run relay` as a child process: the standalone relay, with its own process and producer.
 * `preload` modules (paths from the repository root) run in it before the relay starts.
 */
export function spawnRelay(
  env: Record<string, string>,
  { preload = [] }: { preload?: string[] } = {},
): ChildRelay {
  const imports = preload.flatMap((module) => ['--import', `./${module}`]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...imports, 'src/relay-main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: DEFAULT_BROKERS,
      OUTBOX_POLLING_INTERVAL: '0.2',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let resolveReady: (relayId: string) => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      if (line.includes('standalone relay running')) {
        resolveReady((JSON.parse(line) as { relayId: string }).relayId);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  void exited.then((code) =>
    rejectReady(new Error(`relay child exited (${code}) before it ran:\n${output.join('\n')}`)),
  );
  return {
    child,
    ready,
    exited,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export type TestEvent = {
  aggregateType: AggregateType;
  aggregateId: string;
  eventType: string;
  data: unknown;
};

/**
 * Writes events through the real enqueue path, `perTransaction` per transaction, `concurrency`
 * transactions at a time. Within a transaction the events are enqueued in aggregate order (stable, so
 * one aggregate's events keep theirs): taking sequence-row locks in one global order is what keeps
 * concurrent multi-aggregate transactions from deadlocking, in tests as in business code.
 */
export async function enqueueEvents(
  db: Pick<Database, 'prisma'>,
  topicPrefix: string,
  events: readonly TestEvent[],
  { perTransaction = 1, concurrency = 4 }: { perTransaction?: number; concurrency?: number } = {},
): Promise<void> {
  const chunks: TestEvent[][] = [];
  for (let i = 0; i < events.length; i += perTransaction) chunks.push(events.slice(i, i + perTransaction));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = [...(chunks[next++] as TestEvent[])].sort((a, b) =>
        a.aggregateId < b.aggregateId ? -1 : a.aggregateId > b.aggregateId ? 1 : 0,
      );
      await db.prisma.$transaction(async (tx) => {
        for (const event of chunk) {
          await enqueueOutboxEvent(tx, { ...event, correlationId: null }, { topicPrefix });
        }
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** `count` events spread round-robin over `aggregates` pet aggregates, in the order they are numbered. */
export function petEvents(
  count: number,
  aggregates: number,
  tag = randomBytes(3).toString('hex'),
): TestEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    aggregateType: 'pet' as const,
    aggregateId: `pet-${tag}-${i % aggregates}`,
    eventType: 'pet.test_event',
    data: { n: i },
  }));
}

/** Aggregates whose sequences on Kafka are not strictly increasing (duplicates or overtaking). */
export function outOfOrder(messages: readonly CollectedMessage[]): string[] {
  const problems: string[] = [];
  for (const [aggregate, sequence] of sequencesByAggregate(messages)) {
    for (let i = 1; i < sequence.length; i += 1) {
      if ((sequence[i] as number) <= (sequence[i - 1] as number)) {
        problems.push(`${aggregate}: ${sequence.join(',')}`);
        break;
      }
    }
  }
  return problems;
}

/** Event ids that appear more than once. */
export function duplicateIds(messages: readonly CollectedMessage[]): string[] {
  const seen = new Map<string, number>();
  for (const message of messages) {
    const id = message.event.id;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
}

import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import { createAnnouncer } from '../../src/outbox/announcer.ts';
import { PUBLISHED_CHANNEL } from '../../src/outbox/notification-channels.ts';
import { createBatchClaimer } from '../../src/outbox/relay/claim-batch.ts';
import { openClaimTransaction } from '../../src/outbox/relay/claim-transaction.ts';
import type { ClaimedEvent } from '../../src/outbox/relay/claimed-event.ts';
import { MESSAGE_FORMATS, type MessageFormat } from '../../src/outbox/relay/kafka-message.ts';
import { markPublished } from '../../src/outbox/relay/mark-published.ts';
import { compressionCodecs, createEventPublisher } from '../../src/outbox/relay/publish-events.ts';
import { BATCHES_IN_FLIGHT } from '../../src/outbox/relay/relay-loop.ts';
import { topicFor } from '../../src/outbox/topics.ts';
import { type CpuUsage, pidsNamed, postgresPidsFor, watchCpu } from '../infra/cpu-usage.ts';
import { formatRate } from '../lib/progress.ts';
import { eventPayload, writeBacklog } from '../load/backlog.ts';
import { type BenchContext, topicPrefixFor } from './bench-context.ts';

export type CeilingRun = {
  what: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  cpu: CpuUsage;
};

export type DrainCeilings = {
  /** Claim + mark on the project's table, the relay's own code, no broker. */
  postgres: CeilingRun;
  /** The relay's publisher (same producer settings, same batches in flight), no database, per message format. */
  kafkajs: (CeilingRun & { format: MessageFormat })[];
};

/**
 * The relay's database work with the broker left out: BATCHES_IN_FLIGHT claim transactions at a
 * time, each claiming a batch (the relay's claimer), marking it at once with made-up offsets and
 * committing, until `events` are marked. Returns how many were.
 */
export async function claimAndMarkWithoutBroker(
  pool: pg.Pool,
  {
    events,
    batchSize,
    afterCommit = () => {},
  }: { events: number; batchSize: number; afterCommit?: () => void },
): Promise<number> {
  const claimer = createBatchClaimer({ batchSize });
  const log = { warn: () => {} };
  let offset = 0;
  let drained = 0;
  const worker = async () => {
    while (drained < events) {
      const claim = await openClaimTransaction({ pool, claimer, leaseMs: 60_000, log });
      if (!claim) {
        // The other transaction holds what is left (its aggregates' next events wait for its commit).
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const publications = claim.events.map((event) => ({ event, partition: 0, offset: String(offset++) }));
      await claim.commitAfter((client, commit) => markPublished(client, publications, { thenRun: commit }));
      afterCommit();
      drained += claim.events.length;
    }
  };
  await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, worker));
  return drained;
}

/**
 * PostgreSQL alone: the backlog drained by the relay's claim transactions (its claimer, its mark in
 * the same transaction, its announcement after the commit, BATCHES_IN_FLIGHT transactions
 * overlapping) with the broker left out: each claimed batch is marked at once with made-up offsets.
 */
async function postgresCeiling(
  context: BenchContext,
  { events, batchSize }: { events: number; batchSize: number },
): Promise<CeilingRun> {
  const { options, progress } = context;
  const db = await context.databases.create('ceiling-postgres');
  try {
    const topicPrefix = topicPrefixFor('ceiling-postgres');
    await writeBacklog(db.pool, {
      events,
      aggregates: options.aggregates,
      payloadBytes: options.payloadBytes,
      topicPrefix,
    });
    const announcer = createAnnouncer({ pool: db.pool, channel: PUBLISHED_CHANNEL, log: { warn: () => {} } });
    const cpu = watchCpu({ harness: process.pid }, { postgres: () => postgresPidsFor(db.name) });
    const started = performance.now();
    const drained = await claimAndMarkWithoutBroker(db.pool, {
      events,
      batchSize,
      afterCommit: () => announcer.announce(),
    });
    await announcer.settled();
    const seconds = (performance.now() - started) / 1000;
    const run = {
      what: 'PostgreSQL alone: claim + mark, no broker',
      events: drained,
      seconds,
      eventsPerSecond: drained / seconds,
      cpu: cpu.stop(),
    };
    progress.say(`ceiling, PostgreSQL alone: ${formatRate(run.eventsPerSecond)}`);
    return run;
  } finally {
    await db.drop();
  }
}

/**
 * kafkajs alone: the relay's publisher (idempotent, acks=all, one request in flight, the same
 * partitioner) sending the same events as the drain, in batches of the relay's size with
 * BATCHES_IN_FLIGHT sends at a time, in each message format; no database.
 */
async function kafkajsCeiling(
  context: BenchContext,
  { events, batchSize, format }: { events: number; batchSize: number; format: MessageFormat },
): Promise<CeilingRun & { format: MessageFormat }> {
  const { options, progress } = context;
  const topicPrefix = topicPrefixFor(`ceiling-kafkajs-${format}`);
  const topic = topicFor(topicPrefix, 'pet');
  await context.kafkaTopics.create([topic], { partitions: context.serviceDefaults.topicPartitions });
  const kafka = new Kafka({
    clientId: 'bench-ceiling',
    brokers: context.brokers,
    logLevel: logLevel.NOTHING,
  });
  const publisher = createEventPublisher({
    kafka,
    source: '/petstore-outbox',
    format,
    compression: compressionCodecs.none,
    topics: [topic],
    topicPartitions: context.serviceDefaults.topicPartitions,
  });
  try {
    const aggregateIds = Array.from({ length: options.aggregates }, () => randomUUID());
    const all: ClaimedEvent[] = Array.from({ length: events }, (_, index) => {
      const aggregateId = aggregateIds[index % aggregateIds.length] as string;
      const sequence = Math.floor(index / aggregateIds.length) + 1;
      return {
        id: randomUUID(),
        aggregateType: 'pet',
        aggregateId,
        aggregateSequence: sequence,
        eventType: 'pet.updated',
        eventData: eventPayload(aggregateId, sequence, options.payloadBytes),
        correlationId: 'bench-backlog',
        topic,
        createdAt: new Date(),
        retryCount: 0,
      };
    });
    await publisher.connect();
    let next = 0;
    const cpu = watchCpu({ harness: process.pid }, { kafka: () => pidsNamed('java') });
    const started = performance.now();
    const sender = async () => {
      while (next < all.length) {
        const batch = all.slice(next, next + batchSize);
        next += batch.length;
        await publisher.publish(batch);
      }
    };
    await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, sender));
    const seconds = (performance.now() - started) / 1000;
    const run = {
      what: `kafkajs alone, ${format} messages`,
      format,
      events,
      seconds,
      eventsPerSecond: events / seconds,
      cpu: cpu.stop(),
    };
    progress.say(`ceiling, kafkajs alone (${format}): ${formatRate(run.eventsPerSecond)}`);
    return run;
  } finally {
    await publisher.disconnect();
    await context.kafkaTopics.delete([topic]).catch(() => {});
  }
}

/** The drain's two ceilings, measured in the same run as the drain so they can be compared. */
export async function measureDrainCeilings(
  context: BenchContext,
  { events, batchSize }: { events: number; batchSize: number },
): Promise<DrainCeilings> {
  const postgres = await postgresCeiling(context, { events, batchSize });
  const kafkajs = [];
  for (const format of MESSAGE_FORMATS)
    kafkajs.push(await kafkajsCeiling(context, { events, batchSize, format }));
  return { postgres, kafkajs };
}

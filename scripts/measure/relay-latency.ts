/**
 * Commit-to-ack latency at a steady load (issue 4: "commit-to-ack latency p50/p99 at a steady
 * 500 events/s").
 *
 *   npx tsx scripts/measure/relay-latency.ts [--rate 500] [--seconds 30] [--warmup 3]
 *
 * One relay with the default configuration (LISTEN/NOTIFY wake-up, OUTBOX_POLLING_INTERVAL 1 s,
 * batch 100) runs in this process against a scratch database and the broker at KAFKA_BROKERS.
 * A writer commits one event per transaction through the real enqueue path (a Prisma interactive
 * transaction, like createPet) at `--rate` per second, each for a new aggregate. Per event:
 *   commit → ack:      the writer's commit returned → Kafka acknowledged the batch holding it (acks=all)
 *   commit → marked:   ... → the relay committed it as published
 *   commit → consumed: ... → an independent consumer received it
 * The first `--warmup` seconds are left out. Topics and database are deleted afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../../src/config/env.ts';
import { readDeliveredEvent } from '../../src/inbox/read-delivered-event.ts';
import { createDatabase } from '../../src/infra/db.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { enqueueOutboxEvent } from '../../src/outbox/enqueue.ts';
import { createRelay } from '../../src/outbox/relay/create-relay.ts';
import {
  compressionCodecs,
  createEventPublisher,
  type EventPublisher,
} from '../../src/outbox/relay/publish-events.ts';
import { allTopics, topicFor } from '../../src/outbox/topics.ts';
import { createScratchDatabase } from './scratch-database.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const say = (line: string) => process.stdout.write(`${line}\n`);
const now = () => performance.timeOrigin + performance.now();

const scratch = await createScratchDatabase('latency');
const topicPrefix = `measure-latency-${randomBytes(4).toString('hex')}`;
const config = loadConfig({
  ...process.env,
  DATABASE_URL: scratch.url,
  KAFKA_TOPIC_PREFIX: topicPrefix,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
const logger = createLogger(config);
const writerDb = createDatabase({ url: scratch.url, maxConnections: 20 });
const relayDb = createDatabase({ url: scratch.url, maxConnections: 4 });
const kafka = createKafka({ config, logger });

const committedAt = new Map<string, number>();
const ackedAt = new Map<string, number>();
const markedAt = new Map<string, number>();
const consumedAt = new Map<string, number>();

const inner = createEventPublisher({
  kafka,
  source: '/measure',
  compression: compressionCodecs[config.kafka.compression],
  topics: allTopics(topicPrefix),
  topicPartitions: config.kafka.topicPartitions,
});
// The relay's publisher, with the moment Kafka acknowledged each event noted down.
const publisher: EventPublisher = {
  connect: () => inner.connect(),
  disconnect: () => inner.disconnect(),
  async publish(events) {
    const publications = await inner.publish(events);
    const at = now();
    for (const { event } of publications) ackedAt.set(event.id, at);
    return publications;
  },
};
const relay = createRelay({
  pool: relayDb.pool,
  publisher,
  config,
  logger,
  observer: {
    onPublished: (publications) => {
      const at = now();
      for (const { event } of publications) markedAt.set(event.id, at);
    },
  },
});

const consumerKafka = new Kafka({
  clientId: 'measure-consumer',
  brokers: [...config.kafka.brokers],
  logLevel: logLevel.NOTHING,
});
const consumer = consumerKafka.consumer({ groupId: `${topicPrefix}-consumer`, maxWaitTimeInMs: 10 });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function describe(name: string, to: Map<string, number>, ids: string[]): string {
  const latencies = ids
    .map((id) => (to.get(id) ?? Number.NaN) - (committedAt.get(id) ?? Number.NaN))
    .filter((ms) => !Number.isNaN(ms))
    .sort((a, b) => a - b);
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  return `${name.padEnd(18)} n=${latencies.length}  p50 ${f(percentile(latencies, 50))}  p90 ${f(percentile(latencies, 90))}  p99 ${f(percentile(latencies, 99))}  max ${f(latencies.at(-1) ?? Number.NaN)}`;
}

try {
  await relay.start();
  await consumer.connect();
  await consumer.subscribe({ topics: [topicFor(topicPrefix, 'pet')], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      const at = now();
      for (const message of batch.messages) {
        const id = readDeliveredEvent(message)?.id;
        if (id) consumedAt.set(id, at);
      }
    },
  });
  // The consumer's group join takes a moment; the warm-up covers it.

  const total = Math.round(rate * (warmup + seconds));
  const start = now();
  let issued = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const measured: string[] = [];
  const pending: Promise<void>[] = [];
  while (issued < total) {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate) + 1);
    while (issued < due) {
      const index = issued;
      issued += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push(
        writerDb.prisma
          .$transaction((tx) =>
            enqueueOutboxEvent(
              tx,
              {
                aggregateType: 'pet',
                aggregateId: randomUUID(),
                eventType: 'pet.created',
                data: { n: index },
                correlationId: null,
              },
              { topicPrefix },
            ),
          )
          .then((event) => {
            committedAt.set(event.id, now());
            if (index >= rate * warmup) measured.push(event.id);
            inFlight -= 1;
          }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const writeSeconds = (now() - start) / 1000;
  const deadline = now() + 30_000;
  while ((consumedAt.size < total || markedAt.size < total) && now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  say(
    `wrote ${total} events in ${writeSeconds.toFixed(1)} s (${(total / writeSeconds).toFixed(0)} events/s, ` +
      `at most ${maxInFlight} transactions in flight); measuring the ${measured.length} after a ${warmup} s warm-up`,
  );
  say(describe('commit → ack', ackedAt, measured));
  say(describe('commit → marked', markedAt, measured));
  say(describe('commit → consumed', consumedAt, measured));
} finally {
  await consumer.disconnect().catch(() => {});
  await relay.stop();
  await publisher.disconnect();
  await relayDb.close();
  await writerDb.close();
  await scratch.drop();
  const admin = consumerKafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: allTopics(topicPrefix) }).catch(() => {});
  await admin.disconnect();
}

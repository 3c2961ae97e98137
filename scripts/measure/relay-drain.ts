/**
 * How fast the relay drains a backlog (issue 4's "events/s draining a 100,000-event backlog").
 *
 *   npx tsx scripts/measure/relay-drain.ts [--events 100000] [--aggregates 1000] [--relays 1]
 *                                          [--batch 100] [--compression none|gzip]
 *
 * A scratch database gets `--events` pending events (pet.created-sized JSON, spread round-robin over
 * `--aggregates` aggregates, as enqueue writes them); then `--relays` relays (in this process, each
 * with its own pool and producer, wired as src/app.ts wires one) drain it to the Kafka broker at
 * KAFKA_BROKERS (default 127.0.0.1:9092), acks=all. The clock runs from "go" (relays connected and
 * idle) until every row is marked published. Topics and database are deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../../src/config/env.ts';
import { createDatabase } from '../../src/infra/db.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createRelay } from '../../src/outbox/relay/create-relay.ts';
import { compressionCodecs, createEventPublisher } from '../../src/outbox/relay/publish-events.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { createScratchDatabase, petPayload } from './scratch-database.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    aggregates: { type: 'string', default: '1000' },
    relays: { type: 'string', default: '1' },
    batch: { type: 'string', default: '100' },
    compression: { type: 'string', default: 'none' },
  },
});
const events = Number(values.events);
const aggregates = Number(values.aggregates);
const relayCount = Number(values.relays);
const say = (line: string) => process.stdout.write(`${line}\n`);

const scratch = await createScratchDatabase('drain');
const topicPrefix = `measure-drain-${randomBytes(4).toString('hex')}`;
const config = loadConfig({
  ...process.env,
  DATABASE_URL: scratch.url,
  KAFKA_TOPIC_PREFIX: topicPrefix,
  OUTBOX_BATCH_SIZE: values.batch,
  KAFKA_COMPRESSION: values.compression,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  OUTBOX_RETENTION_DAYS: '0',
});
const logger = createLogger(config);
const db = createDatabase({ url: scratch.url, maxConnections: 4 });
const relays: { stop(): Promise<void>; resume(): void }[] = [];

try {
  let started = Date.now();
  // The backlog as enqueue leaves it: sequence 1, 2, ... per aggregate, in insertion order.
  const payload = petPayload(1);
  await db.pool.query(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence, created_at)
     SELECT 'pet-' || (g % $2), 'pet', 'pet.created', $3, $4, 1 + g / $2, clock_timestamp()
     FROM generate_series(0, $1 - 1) AS g`,
    [events, aggregates, payload, `${topicPrefix}.pets`],
  );
  await db.pool.query(
    `INSERT INTO outbox_aggregate_sequences (aggregate_type, aggregate_id, last_sequence)
     SELECT aggregate_type, aggregate_id, max(aggregate_sequence) FROM outbox_events GROUP BY 1, 2`,
  );
  await db.pool.query('VACUUM ANALYZE outbox_events');
  say(
    `backlog: ${events.toLocaleString('en')} events on ${aggregates} aggregates (${payload.length} B each), loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  for (let i = 0; i < relayCount; i += 1) {
    const pool = createDatabase({ url: scratch.url, maxConnections: 4 });
    const publisher = createEventPublisher({
      kafka: createKafka({ config, logger }),
      source: '/measure',
      compression: compressionCodecs[config.kafka.compression],
      topics: allTopics(topicPrefix),
      topicPartitions: config.kafka.topicPartitions,
    });
    const relay = createRelay({ pool: pool.pool, publisher, config, logger, relayId: `measure-${i}` });
    relay.pause();
    await relay.start();
    relays.push({
      resume: () => relay.resume(),
      async stop() {
        await relay.stop();
        await publisher.disconnect();
        await pool.close();
      },
    });
  }

  const cpuBefore = process.cpuUsage();
  started = performance.now();
  for (const relay of relays) relay.resume();
  let last = 0;
  for (;;) {
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox_events WHERE status = 'published'",
    );
    const done = rows[0]?.n ?? 0;
    if (done === events) break;
    if (done - last >= events / 5) {
      say(
        `  ${done.toLocaleString('en')} published after ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      last = done;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  say(
    `drained ${events.toLocaleString('en')} events with ${relayCount} relay(s), batch ${config.outbox.batchSize}, ` +
      `compression ${config.kafka.compression}: ${seconds.toFixed(2)} s = ${Math.round(events / seconds).toLocaleString('en')} events/s ` +
      `(relay process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`,
  );
} finally {
  for (const relay of relays) await relay.stop();
  await db.close();
  await scratch.drop();
  const admin = new Kafka({
    clientId: 'measure',
    brokers: config.kafka.brokers.slice(),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: allTopics(topicPrefix) }).catch(() => {});
  await admin.disconnect();
}

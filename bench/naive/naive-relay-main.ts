import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { z } from 'zod';
import { createNaiveRelay } from './naive-relay.ts';

/**
 * The naive baseline as a process of its own (like the service's relay is), so its memory is its
 * own and the harness does not share its event loop. Settings come from the bench; the result is
 * one JSON line on stdout.
 */
const env = z
  .object({
    DATABASE_URL: z.string().min(1),
    KAFKA_BROKERS: z.string().min(1),
    OUTBOX_BATCH_SIZE: z.coerce.number().int().positive(),
    OUTBOX_POLLING_INTERVAL: z.coerce.number().positive(),
    NAIVE_EAGER: z.enum(['true', 'false']).transform((value) => value === 'true'),
    NAIVE_MAX_SECONDS: z.coerce.number().positive(),
  })
  .parse(process.env);

const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: 1,
  application_name: 'petstore-bench-naive',
});
const kafka = new Kafka({
  clientId: 'petstore-bench-naive',
  brokers: env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const relay = createNaiveRelay({
  pool,
  kafka,
  batchSize: env.OUTBOX_BATCH_SIZE,
  pollingIntervalMs: env.OUTBOX_POLLING_INTERVAL * 1000,
  eager: env.NAIVE_EAGER,
});
await relay.connect();
await pool.query('SELECT 1');
const startedAtMs = Date.now();
const published = await relay.drain(startedAtMs + env.NAIVE_MAX_SECONDS * 1000);
const finishedAtMs = Date.now();
await relay.disconnect();
await pool.end();
process.stdout.write(
  `${JSON.stringify({ startedAtMs, finishedAtMs, published, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);

/**
 * The claim query's plan and time with millions of processed rows present (issue 4, requirement 8).
 *
 *   npx tsx scripts/measure/claim-plan.ts [--published 2000000] [--pending 1000] [--pending-aggregates 100]
 *                                         [--batch 100] [--runs 20]
 *
 * A scratch database gets `--published` published rows (10 per aggregate, spread over six days, as a
 * week of traffic inside the retention would leave them), a pending backlog (on 100 aggregates by default), and 50
 * dead-lettered aggregates with parked successors. Then, in transactions that are rolled back, the
 * relay's real claim statements (CLAIM_OLDEST_SQL, and CLAIM_BY_AGGREGATE_SQL, the second pass) run
 * under EXPLAIN (ANALYZE, BUFFERS); then the relay's claimer claims `--runs` times for the timing
 * (each claim's leases are released again); the retention DELETE is explained too. The database is dropped at the end.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import pgPool from 'pg';
import {
  CLAIM_BY_AGGREGATE_SQL,
  CLAIM_OLDEST_SQL,
  createBatchClaimer,
} from '../../src/outbox/relay/claim-batch.ts';
import { createScratchDatabase } from './scratch-database.ts';

const { values } = parseArgs({
  options: {
    published: { type: 'string', default: '2000000' },
    pending: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '20' },
    batch: { type: 'string', default: '100' },
    'pending-aggregates': { type: 'string', default: '100' },
  },
});
const published = Number(values.published);
const pending = Number(values.pending);
const runs = Number(values.runs);
const batch = Number(values.batch);
const pendingAggregates = Number(values['pending-aggregates']);
const say = (line: string) => process.stdout.write(`${line}\n`);

const scratch = await createScratchDatabase('claim_plan');
const client = new pg.Client({ connectionString: scratch.url });
await client.connect();
try {
  let started = Date.now();
  await client.query(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                                status, is_processed, created_at, processed_at, published_seq, kafka_partition, kafka_offset)
     SELECT 'pet-' || (g / 10), 'pet', 'pet.created', '{"schemaVersion":1,"pet":{"name":"Buddy","price":"1200.00"}}',
            'petstore.pets', (g % 10) + 1, 'published', true,
            now() - interval '6 days' + g * (interval '6 days' / $1), now() - interval '6 days' + g * (interval '6 days' / $1) + interval '20 ms',
            nextval('outbox_events_published_seq'), g % 3, g / 3
     FROM generate_series(0, $1 - 1) AS g`,
    [published],
  );
  say(
    `loaded ${published.toLocaleString('en')} published rows in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  // The backlog: `pending` events after the published ones of `--pending-aggregates` aggregates.
  await client.query(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence, created_at)
     SELECT 'pet-' || (g % $2), 'pet', 'pet.price_changed', '{}', 'petstore.pets', 11 + g / $2,
            now() - interval '1 minute' + g * interval '1 ms'
     FROM generate_series(0, $1 - 1) AS g`,
    [pending, pendingAggregates],
  );
  // 50 dead letters, each with 10 events parked behind it.
  await client.query(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                                status, retry_count, error_message, created_at)
     SELECT 'pet-' || (1000 + g / 11), 'pet', 'pet.price_changed', '{}', 'petstore.pets', 11 + g % 11,
            CASE WHEN g % 11 = 0 THEN 'failed' ELSE 'pending' END::outbox_status,
            CASE WHEN g % 11 = 0 THEN 5 ELSE 0 END, CASE WHEN g % 11 = 0 THEN 'KafkaJSProtocolError: MESSAGE_TOO_LARGE' END,
            now() - interval '2 hours'
     FROM generate_series(0, 549) AS g`,
  );
  started = Date.now();
  await client.query('VACUUM ANALYZE outbox_events');
  say(`VACUUM ANALYZE in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const { rows: size } = await client.query<{ table: string; indexes: string; rows: string }>(
    `SELECT pg_size_pretty(pg_table_size('outbox_events')) AS table,
            pg_size_pretty(pg_indexes_size('outbox_events')) AS indexes,
            (SELECT count(*) FROM outbox_events)::text AS rows`,
  );
  say(`outbox_events: ${size[0]?.rows} rows, table ${size[0]?.table}, indexes ${size[0]?.indexes}`);

  const explain = async (title: string, sql: string, types: string, args: string) => {
    await client.query(`PREPARE claim_${title}(${types}) AS ${sql}`);
    await client.query('BEGIN');
    const { rows: plan } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim_${title}(${args})`,
    );
    await client.query('ROLLBACK');
    say(`\nEXPLAIN (ANALYZE, BUFFERS) of the claim, ${title} (batch ${batch}):`);
    for (const row of plan) say(row['QUERY PLAN']);
  };
  await explain('oldest', CLAIM_OLDEST_SQL, 'int', `${batch}`);
  await explain('by_aggregate', CLAIM_BY_AGGREGATE_SQL, 'int', `${batch}`);

  const pool = new pgPool.Pool({ connectionString: scratch.url, max: 2 });
  const claimer = createBatchClaimer({ batchSize: batch });
  const times: number[] = [];
  const claimClient = await pool.connect();
  for (let i = 0; i < runs; i += 1) {
    // The claim holds row locks in its transaction; rolling back gives them back untouched.
    await claimClient.query('BEGIN');
    const t = performance.now();
    const claimed = await claimer.claim(claimClient);
    times.push(performance.now() - t);
    await claimClient.query('ROLLBACK');
    if (i === 0) say(`\nclaimed ${claimed.length} events per claim`);
  }
  claimClient.release();
  await pool.end();
  times.sort((a, b) => a - b);
  say(
    `claim (createBatchClaimer.claim, both passes as needed) over ${runs} runs: median ${times[Math.floor(runs / 2)]?.toFixed(2)} ms, ` +
      `min ${times[0]?.toFixed(2)} ms, max ${times[runs - 1]?.toFixed(2)} ms`,
  );

  await client.query('BEGIN');
  const { rows: purgePlan } = await client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) DELETE FROM outbox_events WHERE id IN (
       SELECT id FROM outbox_events
       WHERE created_at < now() - interval '5 days' AND processed_at < now() - interval '5 days'
         AND status = 'published'
       LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
  );
  await client.query('ROLLBACK');
  say('\nEXPLAIN (ANALYZE, BUFFERS) of one retention batch (1000 rows older than 5 days):');
  for (const row of purgePlan) say(row['QUERY PLAN']);
} finally {
  await client.end();
  await scratch.drop();
}

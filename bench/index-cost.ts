/**
 * What each index of `outbox_events` costs the relay's database work:
 * `npx tsx bench/index-cost.ts [events=100000]`.
 *
 * For the table as migrated, then once without each index in turn, a backlog is written and drained
 * by the relay's own claim transactions with the broker left out, exactly as the PostgreSQL-alone
 * ceiling of `npm run bench` does (claimAndMarkWithoutBroker). Reported per
 * variant: events/s, and per event the mark's and the claim's statement time, buffers and WAL
 * records from pg_stat_statements (when the server loads it; otherwise only the rates). Every
 * variant runs in the same process on the same server, so the rates compare with the first row;
 * the table as migrated runs again last, so the spread of the two shows how noisy the machine was.
 */
import pg from 'pg';
import { DEFAULT_MAINTENANCE_DATABASE_URL } from '../src/config/default-urls.ts';
import { createBenchDatabases } from './infra/bench-databases.ts';
import { writeBacklog } from './load/backlog.ts';
import { claimAndMarkWithoutBroker } from './scenarios/drain-ceilings.ts';

const events = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(events) || events <= 0)
  throw new Error(`events must be a positive integer, not ${process.argv[2]}`);
const BATCH_SIZE = 100;
const maintenanceUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_MAINTENANCE_DATABASE_URL;

type StatementCost = { calls: number; ms: number; buffers: number; wal: number };
type VariantResult = {
  variant: string;
  eventsPerSecond: number;
  mark?: StatementCost;
  claim?: StatementCost;
};

async function statementCosts(pool: pg.Pool, dbName: string): Promise<Map<string, StatementCost> | null> {
  try {
    const { rows } = await pool.query<{ query: string } & StatementCost>(
      `SELECT query, calls::int, total_exec_time AS ms,
              (shared_blks_hit + shared_blks_read + shared_blks_dirtied)::int AS buffers, wal_records::int AS wal
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`,
      [dbName],
    );
    const costs = new Map<string, StatementCost>();
    for (const row of rows) {
      const kind = row.query.startsWith('UPDATE outbox_events o')
        ? 'mark'
        : row.query.startsWith('WITH locked')
          ? 'claim'
          : null;
      if (!kind) continue;
      const known = costs.get(kind) ?? { calls: 0, ms: 0, buffers: 0, wal: 0 };
      costs.set(kind, {
        calls: known.calls + row.calls,
        ms: known.ms + row.ms,
        buffers: known.buffers + row.buffers,
        wal: known.wal + row.wal,
      });
    }
    return costs;
  } catch {
    return null; // pg_stat_statements is not loaded or not created: rates only
  }
}

async function drain(pool: pg.Pool): Promise<number> {
  const started = performance.now();
  const drained = await claimAndMarkWithoutBroker(pool, { events, batchSize: BATCH_SIZE });
  return drained / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const databases = createBenchDatabases({ maintenanceUrl });
  await databases.prepare();
  const results: VariantResult[] = [];
  try {
    const probe = await databases.create('index-cost-probe');
    const { rows: indexes } = await probe.pool.query<{ name: string; definition: string }>(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
       WHERE tablename = 'outbox_events' AND indexname <> 'outbox_events_pkey' ORDER BY indexname`,
    );
    await probe.drop();
    // The table as migrated runs first and last: the two bracket the noise of the machine.
    for (const dropped of [null, ...indexes.map((index) => index.name), null]) {
      const db = await databases.create('index-cost');
      try {
        if (dropped) await db.pool.query(`DROP INDEX ${pg.escapeIdentifier(dropped)}`);
        await writeBacklog(db.pool, {
          events,
          aggregates: 1000,
          payloadBytes: 500,
          topicPrefix: 'index-cost',
        });
        await db.pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => {});
        await db.pool.query('SELECT pg_stat_statements_reset()').catch(() => {});
        const eventsPerSecond = await drain(db.pool);
        const costs = await statementCosts(db.pool, db.name);
        results.push({
          variant: dropped ? `without ${dropped}` : 'as migrated',
          eventsPerSecond,
          mark: costs?.get('mark'),
          claim: costs?.get('claim'),
        });
        process.stdout.write(`${results.at(-1)?.variant}: ${Math.round(eventsPerSecond)}/s\n`);
      } finally {
        await db.drop();
      }
    }
  } finally {
    await databases.dropAll();
  }
  const first = results[0]?.eventsPerSecond ?? 1;
  const perEvent = (cost: StatementCost | undefined, pick: (cost: StatementCost) => number, digits = 1) =>
    cost ? (pick(cost) / events).toFixed(digits) : 'n/a';
  process.stdout.write(
    `\n| variant | events/s | vs as migrated | mark µs/event | mark buffers/event | mark WAL records/event | claim µs/event |\n|---|---|---|---|---|---|---|\n`,
  );
  for (const result of results) {
    process.stdout.write(
      `| ${result.variant} | ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} | ${(result.eventsPerSecond / first).toFixed(2)}× | ${perEvent(result.mark, (c) => c.ms * 1000)} | ${perEvent(result.mark, (c) => c.buffers)} | ${perEvent(result.mark, (c) => c.wal)} | ${perEvent(result.claim, (c) => c.ms * 1000)} |\n`,
    );
  }
}

await main();

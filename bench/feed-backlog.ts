/**
 * The live feed under a sudden backlog: SUBSCRIBERS graphql-ws subscribers (bench/fanout's process) are
 * connected to a server without a relay, then EVENTS events are marked published at once, in one
 * transaction, straight in the table: far more than the feed keeps in memory, so every subscriber
 * falls behind at about the same place and reads its way back from the table. Reports the server's
 * peak RSS, its feed counters (/metrics) and whether every subscriber got every event exactly once.
 *
 *   npx tsx bench/feed-backlog.ts [--events=20000] [--subscribers=500] [--memory-events=N] [--entry=dist/main.js]
 *
 * Runs the production build (build it first: npm run build) with the service's V8 flags; needs
 * PostgreSQL (127.0.0.1:5432, or --database-url's server) and no Kafka. Not part of `npm run bench`:
 * a check of the feed's catch-up path, which the fan-out scenario's steady rate does not reach. Run it
 * under the benchmark lock, like any measurement.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort } from '../scripts/lib/free-port.ts';
import { SERVICE_NODE_FLAGS } from '../scripts/lib/service-node-flags.ts';
import { DEFAULT_MAINTENANCE_DATABASE_URL } from '../src/config/default-urls.ts';
import type { FromSubscribers, SubscribersReport, SubscribersStatus } from './fanout/fan-out-protocol.ts';
import { createBenchDatabases, type ScenarioDatabase } from './infra/bench-databases.ts';
import { REPO_ROOT } from './infra/repo-paths.ts';
import { type ServiceProcess, serviceEnvironment, startServiceProcess } from './infra/service-process.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    subscribers: { type: 'string', default: '500' },
    entry: { type: 'string', default: 'dist/main.js' },
    /** OUTBOX_FEED_MEMORY_EVENTS; unset: the service's default. */
    'memory-events': { type: 'string' },
    'database-url': { type: 'string', default: DEFAULT_MAINTENANCE_DATABASE_URL },
  },
});
const events = Number(values.events);
const subscriberCount = Number(values.subscribers);
const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${Math.round(bytes / 1024 / 1024)} MB`);

const databases = createBenchDatabases({ maintenanceUrl: values['database-url'] });
const children: ChildProcess[] = [];
let server: ServiceProcess | null = null;
let db: ScenarioDatabase | null = null;

try {
  await databases.prepare();
  db = await databases.create('feed-backlog');
  const { pool } = db;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = await startServiceProcess({
    label: 'feed-backlog-server',
    entry: values.entry,
    nodeFlags: SERVICE_NODE_FLAGS,
    env: serviceEnvironment({
      DATABASE_URL: db.url,
      PORT: String(port),
      OUTBOX_RELAY_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      WS_MAX_CONNECTIONS: String(subscriberCount + 10),
      ...(values['memory-events'] ? { OUTBOX_FEED_MEMORY_EVENTS: values['memory-events'] } : {}),
    }),
    logFile: join(tmpdir(), `${db.name}-server.log`),
    ready: () =>
      fetch(`${base}/ready`).then(
        (response) => response.ok,
        () => false,
      ),
  });
  await sleep(1000);
  const idle = server.peakRssBytes();

  const subscribers = spawn(process.execPath, ['--import', 'tsx', 'bench/fanout/subscribers-main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, WS_URL: `ws://127.0.0.1:${port}/graphql`, SUBSCRIBERS: String(subscriberCount) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(subscribers);
  const next = <T extends FromSubscribers>(type: T['type']) =>
    new Promise<T>((resolve) => {
      const listener = (message: FromSubscribers) => {
        if (message.type !== type) return;
        subscribers.off('message', listener);
        resolve(message as T);
      };
      subscribers.on('message', listener);
    });
  const status = () => {
    const answer = next<SubscribersStatus>('status');
    subscribers.send({ type: 'status' });
    return answer;
  };
  await next('connected');
  // Subscribed means the server has run their subscribe; give the last ones a moment.
  await sleep(2000);

  const started = Date.now();
  const { rows } = await pool.query<{ seq: string }>(
    `INSERT INTO outbox_events (aggregate_id, aggregate_type, event_type, event_data, topic, aggregate_sequence,
                                status, is_processed, processed_at, published_seq, published_xid,
                                kafka_partition, kafka_offset)
     SELECT 'pet-' || i, 'pet', 'pet.created', json_build_object('index', i, 'name', 'Rex ' || i)::text,
            'bench.pets', 1, 'published', true, clock_timestamp(), nextval('outbox_events_published_seq'),
            pg_current_xact_id()::text::bigint, 0, i
     FROM generate_series(1, $1::int) AS i ORDER BY i
     RETURNING published_seq::text AS seq`,
    [events],
  );
  await pool.query(`SELECT pg_notify('outbox_published', '')`);
  const expectedCursors = rows.map((row) => Number(row.seq));
  console.log(
    `${events.toLocaleString()} events published at once; ${subscriberCount} subscribers catching up`,
  );

  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const now = await status();
    if (now.minReceived >= events) break;
    if (now.totalReceived !== last) {
      last = now.totalReceived;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 30_000) {
      console.log('no delivery for 30 s: stopping');
      break;
    }
    await sleep(1000);
  }
  const seconds = (Date.now() - started) / 1000;
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const feedLines = metrics.split('\n').filter((line) => line.startsWith('petstore_feed_'));
  const peak = server.peakRssBytes();
  const answer = next<SubscribersReport>('report');
  subscribers.send({ type: 'report', expectedCursors });
  const report = await answer;
  console.log(
    [
      `delivered ${report.deliveries.toLocaleString()} of ${(events * subscriberCount).toLocaleString()} in ${seconds.toFixed(1)} s; missed ${report.missed}, duplicates ${report.duplicates}`,
      `server RSS idle ${mb(idle)}, peak ${mb(peak)} (${SERVICE_NODE_FLAGS.join(' ') || 'no flags'})`,
      ...feedLines,
      report.firstErrors.length > 0 ? `errors: ${report.firstErrors.join('; ')}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await server?.stop();
  await db?.drop();
  await databases.dropAll();
}

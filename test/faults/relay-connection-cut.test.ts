/**
 * A relay whose database connections are cut while it holds claims (what a network partition, a
 * proxy restart or `pg_terminate_backend` does): its open work is rolled back or its leases run out,
 * the relay process survives and reconnects, and Kafka ends up with exactly the committed events,
 * in order per aggregate (redeliveries of the batch in flight are allowed: at least once).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDatabase } from '../../src/infra/db.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import {
  type ChildRelay,
  DEFAULT_BROKERS,
  enqueueEvents,
  petEvents,
  spawnRelay,
} from '../outbox/relay-harness.ts';
import { compareKafkaWithOutbox } from '../support/outbox-on-kafka.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const EVENTS = 3000;
const AGGREGATES = 30;
const CUTS = 8;
const OBSERVER = 'test-observer';

let database: TestDatabase;
let observer: pg.Client;
let relay: ChildRelay | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  observer = new pg.Client({ connectionString: database.url, application_name: OBSERVER });
  observer.on('error', () => {});
  await observer.connect();
});

afterAll(async () => {
  await relay?.stop();
  await observer?.end();
  await database?.drop();
});

/** True while the relay holds claims: leased rows, or a transaction of its open on the database. */
async function relayHoldsClaims(): Promise<boolean> {
  const { rows } = await observer.query<{ leased: boolean; open: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM outbox_events WHERE locked_by IS NOT NULL AND status = 'pending') AS leased,
            EXISTS (SELECT 1 FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                      AND application_name <> $1 AND xact_start IS NOT NULL) AS open`,
    [OBSERVER],
  );
  return Boolean(rows[0]?.leased || rows[0]?.open);
}

/** Terminates every session of the relay (all but the observer's) on the test database. */
async function cutRelayConnections(): Promise<number> {
  const { rows } = await observer.query<{ n: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> $1`,
    [OBSERVER],
  );
  return rows[0]?.n ?? 0;
}

describe('a relay whose database connections are cut while it holds claims', () => {
  test('survives, reconnects, and publishes every committed event exactly in order', async () => {
    const topicPrefix = randomTopicPrefix('cut');
    const writer = createDatabase({ url: database.url });
    try {
      await enqueueEvents(writer, topicPrefix, petEvents(EVENTS, AGGREGATES), { perTransaction: 5 });
    } finally {
      await writer.close();
    }
    relay = spawnRelay({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_BATCH_SIZE: '50',
      OUTBOX_LEASE_TIMEOUT: '2',
    });
    await relay.ready;

    let cutsWhileClaiming = 0;
    for (let cut = 0; cut < CUTS; cut += 1) {
      const holding = await waitFor(relayHoldsClaims, {
        timeoutMs: 20_000,
        intervalMs: 5,
        what: 'the relay to hold claims',
      }).catch(() => false);
      if ((await cutRelayConnections()) > 0 && holding) cutsWhileClaiming += 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(relay.child.exitCode, relay.output.join('\n')).toBeNull();
    }
    expect(cutsWhileClaiming).toBeGreaterThan(0);

    await waitFor(
      async () => {
        const { rows } = await observer.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM outbox_events WHERE status <> 'published'",
        );
        return rows[0]?.n === 0;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: 'every event to be published after the cuts' },
    );
    expect(relay.child.exitCode).toBeNull();
    const onKafka = await compareKafkaWithOutbox(observer, DEFAULT_BROKERS, allTopics(topicPrefix));
    expect(onKafka.committed).toBe(EVENTS);
    expect(onKafka.lost).toEqual([]);
    expect(onKafka.phantom).toEqual([]);
    expect(onKafka.outOfOrder.slice(0, 5)).toEqual([]);
    process.stderr.write(
      `[relay-connection-cut] ${CUTS} cuts (${cutsWhileClaiming} while claims were held); ` +
        `${onKafka.messages} messages for ${EVENTS} events, ${onKafka.redelivered} redelivered\n`,
    );
  }, 240_000);
});

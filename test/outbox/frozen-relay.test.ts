/**
 * A relay process frozen with SIGSTOP (as a paused VM or a long GC pause would freeze it) while it
 * holds claims must stop nobody for longer than OUTBOX_LEASE_TIMEOUT. Relay A is frozen with its
 * batches acknowledged by Kafka but not marked (its sends never return to it once the broker has
 * acknowledged them: hang-after-broker-ack.ts), so its claim transactions sit idle with their row
 * locks. PostgreSQL ends those sessions once they have been idle for OUTBOX_LEASE_TIMEOUT
 * (idle_in_transaction_session_timeout), and relay B, running beside it, publishes everything: A's
 * batches again (same event ids: at least once), the rest once, every aggregate in order.
 */
import { afterAll, describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { type FileDatabase, test } from '../support/fixtures.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  type ChildRelay,
  DEFAULT_BROKERS,
  duplicateIds,
  enqueueEvents,
  petEvents,
  readTopics,
  sequencesByAggregate,
  spawnRelay,
} from './relay-harness.ts';

const EVENTS = 1200;
const AGGREGATES = 12;
const LEASE_SECONDS = 2;

let database: FileDatabase;
let db: Database;
const children: ChildRelay[] = [];

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  db = fileDatabase.db;
});

afterAll(async () => {
  for (const child of children) {
    child.child.kill('SIGCONT');
    child.child.kill('SIGKILL');
    await child.exited;
  }
});

async function countWhere(condition: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox_events WHERE ${condition}`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Relay sessions of this test's database inside a transaction that is open but idle, for at least
 * `forMs` (the running relay's own claims are idle for moments between their statements).
 */
async function idleClaimSessions(forMs = 0): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'petstore-outbox-relay'
       AND state = 'idle in transaction' AND now() - state_change >= make_interval(secs => $1)`,
    [forMs / 1000],
  );
  return rows[0]?.n ?? 0;
}

describe('a relay process frozen with SIGSTOP while it holds claims', () => {
  test('loses its claims after OUTBOX_LEASE_TIMEOUT; the relay beside it publishes everything', {
    timeout: 180_000,
  }, async () => {
    const topicPrefix = randomTopicPrefix('frozen');
    const topics = allTopics(topicPrefix);
    const collector = await collectMessages(topics);
    const env = {
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_BATCH_SIZE: '50',
      OUTBOX_LEASE_TIMEOUT: String(LEASE_SECONDS),
    };
    await enqueueEvents(db, topicPrefix, petEvents(EVENTS, AGGREGATES), { perTransaction: 10 });

    const frozen = spawnRelay(env, { preload: ['test/outbox/hang-after-broker-ack.ts'] });
    children.push(frozen);
    await frozen.ready;
    await waitFor(() => collector.messages.length >= 50, { what: "relay A's first batch on Kafka" }).catch(
      (error) => {
        console.log(frozen.output.join('\n'));
        throw error;
      },
    );
    await waitFor(async () => (await idleClaimSessions()) > 0, {
      what: "relay A's claim transactions idle with their locks",
    });
    frozen.child.kill('SIGSTOP');
    expect(await countWhere("status = 'published'")).toBe(0);
    const sentByFrozen = new Set((await readTopics(DEFAULT_BROKERS, topics)).map((m) => m.event.id));
    expect(sentByFrozen.size).toBeGreaterThanOrEqual(50);

    const frozenAt = Date.now();
    const other = spawnRelay(env);
    children.push(other);
    await other.ready;
    try {
      await waitFor(async () => (await countWhere("status = 'published'")) === EVENTS, {
        timeoutMs: 60_000,
        what: "the running relay to publish everything, the frozen relay's claims included",
      });
      console.log(
        `[frozen-relay] everything published ${Date.now() - frozenAt} ms after the freeze (lease ${LEASE_SECONDS} s)`,
      );
      // PostgreSQL ended the frozen relay's idle transactions; it is still stopped.
      expect(await idleClaimSessions(LEASE_SECONDS * 1000)).toBe(0);
      expect(frozen.child.exitCode).toBeNull();

      await waitFor(() => collector.messages.length >= EVENTS, { what: 'the collector to catch up' });
      const onKafka = await readTopics(DEFAULT_BROKERS, topics);
      const { rows } = await db.pool.query<{ id: string }>('SELECT id FROM outbox_events');
      expect(new Set(onKafka.map((m) => m.event.id))).toEqual(new Set(rows.map((row) => row.id)));
      // The only duplicates are events the frozen relay had sent.
      for (const id of duplicateIds(onKafka)) expect(sentByFrozen.has(id)).toBe(true);
      for (const sequence of sequencesByAggregate(onKafka).values()) {
        expect([...new Set(sequence)]).toEqual(Array.from({ length: EVENTS / AGGREGATES }, (_, i) => i + 1));
      }
    } finally {
      await collector.stop();
    }
  });
});

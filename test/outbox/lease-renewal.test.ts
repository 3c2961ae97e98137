/**
 * A slow batch must not lose its claim while its relay is alive: relay A's sends to Kafka are held
 * back for several lease periods (a broker slow to acknowledge), its claim transaction sits idle
 * meanwhile, and PostgreSQL would end a session idle that long in a transaction. A keeps the claim
 * alive, so relay B, running all along, never takes A's events over and publishes nothing twice.
 */
import { afterAll, describe, expect } from 'vitest';
import type { Database } from '../../src/infra/db.ts';
import type { EventPublisher } from '../../src/outbox/relay/publish-events.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { type FileDatabase, test } from '../support/fixtures.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  DEFAULT_BROKERS,
  duplicateIds,
  enqueueEvents,
  type InProcessRelay,
  outOfOrder,
  petEvents,
  readTopics,
  startInProcessRelay,
} from './relay-harness.ts';

const LEASE_SECONDS = 1;

let database: FileDatabase;
let db: Database;
const relays: InProcessRelay[] = [];

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  db = fileDatabase.db;
});

afterAll(async () => {
  for (const relay of relays) await relay.stop();
});

/** The real publisher, whose sends wait until the gate opens. */
function gated(publisher: EventPublisher, gate: Promise<void>, onHeld: () => void): EventPublisher {
  return {
    connect: () => publisher.connect(),
    disconnect: () => publisher.disconnect(),
    async publish(events) {
      onHeld();
      await gate;
      return publisher.publish(events);
    },
  };
}

async function count(condition: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox_events WHERE ${condition}`,
  );
  return rows[0]?.n ?? 0;
}

describe('a batch slower than its lease', () => {
  test('keeps its claim while it is worked on, so no other relay publishes it again', async () => {
    const topicPrefix = randomTopicPrefix('lease');
    const topics = allTopics(topicPrefix);
    const collector = await collectMessages(topics);
    const env = {
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      OUTBOX_BATCH_SIZE: '50',
      OUTBOX_LEASE_TIMEOUT: String(LEASE_SECONDS),
    };
    // 4 aggregates: one batch of A's holds all of them, so B has nothing it may claim.
    await enqueueEvents(db, topicPrefix, petEvents(200, 4), { perTransaction: 10 });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let held = 0;
    try {
      const a = startInProcessRelay(env, {
        relayId: 'relay-a',
        wrapPublisher: (publisher) => gated(publisher, gate, () => (held += 1)),
      });
      relays.push(a);
      await a.started;
      await waitFor(() => held > 0, { what: "relay A's batch held on its way to Kafka" });
      const b = startInProcessRelay(env, { relayId: 'relay-b' });
      relays.push(b);
      await b.started;
      // Three lease periods and more: A's session is still there, B has claimed and sent nothing.
      await new Promise((resolve) => setTimeout(resolve, 4 * LEASE_SECONDS * 1000));
      expect(collector.messages).toHaveLength(0);
      expect(await count("status = 'published'")).toBe(0);
    } finally {
      open();
    }
    try {
      await waitFor(async () => (await count("status = 'published'")) === 200, {
        what: 'everything published once the sends go through',
      });
      const onKafka = await readTopics(DEFAULT_BROKERS, topics);
      expect(onKafka).toHaveLength(200);
      expect(duplicateIds(onKafka)).toEqual([]);
      expect(outOfOrder(onKafka)).toEqual([]);
    } finally {
      await collector.stop();
    }
  });
});

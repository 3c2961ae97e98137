/**
 * Three relay instances at once, two in this process and one standalone child
 * process (`npm run relay`), 50 aggregates, 3,000 events written concurrently while they run. Kafka
 * (read by an independent consumer) must hold every event exactly once, each aggregate's events in
 * strictly increasing sequence, and the work must have been shared.
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
  type InProcessRelay,
  outOfOrder,
  petEvents,
  readTopics,
  sequencesByAggregate,
  spawnRelay,
  startInProcessRelay,
} from './relay-harness.ts';

const AGGREGATES = 50;
const EVENTS = 3000;

let database: FileDatabase;
let db: Database;
const relays: InProcessRelay[] = [];
let child: ChildRelay | undefined;

test.beforeAll(async ({ database: fileDatabase }) => {
  database = fileDatabase;
  db = fileDatabase.db;
});

afterAll(async () => {
  await child?.stop();
  for (const relay of relays) await relay.stop();
});

describe('three relays, 50 aggregates, 3,000 events', () => {
  test('none lost, none duplicated, every aggregate strictly in sequence on Kafka', async () => {
    const topicPrefix = randomTopicPrefix('multi');
    const topics = allTopics(topicPrefix);
    const collector = await collectMessages(topics);
    const env = {
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      // Small batches, so the instances really interleave on the same aggregates.
      OUTBOX_BATCH_SIZE: '40',
      OUTBOX_HEARTBEAT_INTERVAL: '0.5',
    };
    const publishedBy = new Map<string, number>();
    for (const name of ['in-process-a', 'in-process-b']) {
      const relay = startInProcessRelay(env, {
        relayId: `${topicPrefix}-${name}`,
        observer: {
          onPublished: (publications) =>
            publishedBy.set(name, (publishedBy.get(name) ?? 0) + publications.length),
        },
      });
      relays.push(relay);
      await relay.started;
    }
    child = spawnRelay(env);
    const childRelayId = await child.ready;

    try {
      const events = petEvents(EVENTS, AGGREGATES);
      // Several writers at once, transactions of 1 to 3 events: commit order decides the sequence.
      await enqueueEvents(db, topicPrefix, events, { perTransaction: 3, concurrency: 6 });

      await waitFor(
        async () => {
          const { rows } = await db.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM outbox_events WHERE status = 'published'",
          );
          return rows[0]?.n === EVENTS;
        },
        { timeoutMs: 120_000, what: 'every event to be marked published' },
      );
      await waitFor(() => collector.messages.length >= EVENTS, {
        timeoutMs: 60_000,
        what: 'the collector to see every message',
      });

      // Everything on the broker, read to its end by a second independent consumer.
      const onKafka = await readTopics(DEFAULT_BROKERS, topics);
      for (const messages of [collector.messages, onKafka]) {
        expect(messages).toHaveLength(EVENTS);
        expect(duplicateIds(messages)).toEqual([]);
        expect(outOfOrder(messages)).toEqual([]);
      }
      const { rows: ids } = await db.pool.query<{ id: string }>('SELECT id FROM outbox_events');
      expect(new Set(onKafka.map((m) => m.event.id))).toEqual(new Set(ids.map((row) => row.id)));

      // The message contract on every message: key = aggregate id, a CloudEvents structured envelope.
      for (const message of onKafka) {
        expect(message.key).toBe(message.event.aggregateId);
        expect(message.headers).toEqual({ 'content-type': 'application/cloudevents+json' });
        expect(message.event.format).toBe('structured');
        expect(message.event.data).toHaveProperty('n');
      }

      // Each aggregate: 1, 2, ..., 60 exactly, one partition.
      const sequences = sequencesByAggregate(onKafka);
      expect(sequences.size).toBe(AGGREGATES);
      for (const sequence of sequences.values()) {
        expect(sequence).toEqual(Array.from({ length: EVENTS / AGGREGATES }, (_, i) => i + 1));
      }
      const partitionsPerKey = new Map<string, Set<number>>();
      for (const message of onKafka) {
        const set = partitionsPerKey.get(message.key ?? '') ?? new Set<number>();
        set.add(message.partition);
        partitionsPerKey.set(message.key ?? '', set);
      }
      expect([...partitionsPerKey.values()].every((set) => set.size === 1)).toBe(true);

      // How the work fell is up to timing (one fast instance may take every batch): reported, not
      // asserted. What must hold with three instances competing is asserted above.
      const inProcess = [...publishedBy.values()].reduce((a, b) => a + b, 0);
      console.info(
        `[multi-relay] published by in-process-a ${publishedBy.get('in-process-a')}, ` +
          `in-process-b ${publishedBy.get('in-process-b')}, child process ${EVENTS - inProcess}`,
      );

      // All three heartbeat in outbox_relay_instances.
      const { rows: instances } = await db.pool.query<{ relay_id: string; mode: string; fresh: boolean }>(
        `SELECT relay_id, mode, heartbeat_at > now() - interval '5 seconds' AND stopped_at IS NULL AS fresh
         FROM outbox_relay_instances ORDER BY relay_id`,
      );
      expect(instances).toEqual(
        expect.arrayContaining([
          { relay_id: `${topicPrefix}-in-process-a`, mode: 'embedded', fresh: true },
          { relay_id: `${topicPrefix}-in-process-b`, mode: 'embedded', fresh: true },
          { relay_id: childRelayId, mode: 'standalone', fresh: true },
        ]),
      );
    } finally {
      await collector.stop();
    }

    // A clean stop (SIGTERM for the child) records stopped_at.
    expect(await child.stop()).toBe(0);
    const { rows: stopped } = await db.pool.query<{ stopped: boolean }>(
      'SELECT stopped_at IS NOT NULL AS stopped FROM outbox_relay_instances WHERE relay_id = $1',
      [childRelayId],
    );
    expect(stopped).toEqual([{ stopped: true }]);
  });
});

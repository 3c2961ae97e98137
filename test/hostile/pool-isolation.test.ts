/**
 * Floods meant to starve the API of database connections: health checks that hang on the database
 * and huge alias queries, sent while clients create pets. The health checks have a pool of their
 * own and share one check in flight; a caller that gave up leaves the queue; the huge documents never
 * reach the database. createPet keeps working throughout.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allTopics } from '../../src/outbox/topics.ts';
import { CREATE_PET } from '../support/domain-app.ts';
import { graphql } from '../support/graphql-client.ts';
import { collectMessages } from '../support/kafka-collector.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
});

afterAll(async () => {
  await testApp?.stop();
});

async function connectionsByApplication(client: pg.Client): Promise<Record<string, number>> {
  const { rows } = await client.query<{ application_name: string; n: number }>(
    `SELECT application_name, count(*)::int AS n FROM pg_stat_activity
     WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY application_name`,
    [testApp.database.name],
  );
  return Object.fromEntries(rows.map((row) => [row.application_name, row.n]));
}

describe('a flood of health checks and huge queries', () => {
  test('does not make createPet fail, even while every health check hangs on the database', async () => {
    const locker = new pg.Client({ connectionString: testApp.database.url });
    const observer = new pg.Client({ connectionString: testApp.database.url });
    await Promise.all([locker.connect(), observer.connect()]);
    try {
      // The readiness check reads the migrations table: locked, every check waits on it, holding
      // whatever connection it got, long after /ready has answered "not ready" on its own timeout.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE _prisma_migrations IN ACCESS EXCLUSIVE MODE');

      const hugeQuery = `{ ${Array.from({ length: 50_000 }, (_, i) => `a${i}: outboxMetrics { pendingEvents }`).join(' ')} }`;
      const readyFlood = Array.from({ length: 200 }, () =>
        fetch(`${testApp.url}/ready`, { signal: AbortSignal.timeout(60_000) }).then(
          (response) => response.status,
        ),
      );
      const hugeFlood = Array.from({ length: 20 }, () =>
        fetch(testApp.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: hugeQuery }),
          signal: AbortSignal.timeout(60_000),
        }).then((response) => response.status),
      );

      const created: string[] = [];
      for (let index = 0; index < 15; index += 1) {
        const response = await graphql<{ createPet: { __typename: string } }>(
          testApp.graphqlUrl,
          CREATE_PET,
          {
            input: { name: `Flood ${index}`, species: 'dog', price: '10.00' },
          },
        );
        created.push(response.data?.createPet.__typename ?? JSON.stringify(response.errors));
      }
      expect(created).toEqual(Array(15).fill('PetPayload'));

      const connections = await connectionsByApplication(observer);
      expect(connections['petstore-outbox-health'] ?? 0).toBeLessThanOrEqual(2);
      expect(connections['petstore-outbox'] ?? 0).toBeLessThanOrEqual(10);

      expect(new Set(await Promise.all(hugeFlood))).toEqual(new Set([413]));
      expect(new Set(await Promise.all(readyFlood))).toEqual(new Set([503]));
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await Promise.all([locker.end(), observer.end()]);
    }
  });
});

describe('the same flood beside a relay', () => {
  test('does not cost the relay its claims: every event is published exactly once', async () => {
    const withRelay = await startTestApp({ OUTBOX_LEASE_TIMEOUT: '3' });
    const collector = await collectMessages(allTopics(withRelay.config.kafka.topicPrefix));
    const locker = new pg.Client({ connectionString: withRelay.database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE _prisma_migrations IN ACCESS EXCLUSIVE MODE');
      const readyFlood = Array.from({ length: 200 }, () =>
        fetch(`${withRelay.url}/ready`, { signal: AbortSignal.timeout(60_000) }).then(
          (response) => response.status,
        ),
      );
      const petIds: string[] = [];
      for (let index = 0; index < 15; index += 1) {
        const response = await graphql<{ createPet: { pet?: { id: string } } }>(
          withRelay.graphqlUrl,
          CREATE_PET,
          {
            input: { name: `Relay flood ${index}`, species: 'dog', price: '10.00' },
          },
        );
        petIds.push(response.data?.createPet.pet?.id ?? JSON.stringify(response.errors));
      }
      await waitFor(() => petIds.every((id) => collector.messages.some((m) => m.event.aggregateId === id)), {
        timeoutMs: 60_000,
        what: 'every pet.created event on Kafka during the flood',
      });
      await Promise.all(readyFlood);
      await collector.caughtUp();
      // A claim lost to a starved connection would be published again by the next claim: a duplicate.
      const ids = collector.messages.map((m) => m.event.id);
      expect(ids.length).toBe(new Set(ids).size);
      expect(collector.messages.filter((m) => petIds.includes(m.event.aggregateId))).toHaveLength(15);
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
      await collector.stop();
      await withRelay.stop();
    }
  });
});

/**
 * PostgreSQL restarted under load, the way a managed database fails over: a fast shutdown terminates
 * every session (57P01), then the server comes back. The service and a standalone relay must survive
 * every restart, answer calls made during the outage with a retriable error, work again soon after
 * the database is back, and in the end Kafka must hold exactly the committed events, in order per
 * aggregate (redeliveries of an unmarked batch are allowed: delivery is at least once).
 *
 * The PostgreSQL here is the test's own (embedded binaries, scratch directory, free port), never the
 * machine's shared server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyMigrations } from '../../src/db/migrate.ts';
import { allTopics } from '../../src/outbox/topics.ts';
import { type ChildRelay, DEFAULT_BROKERS, spawnRelay } from '../outbox/relay-harness.ts';
import { graphql } from '../support/graphql-client.ts';
import { compareKafkaWithOutbox } from '../support/outbox-on-kafka.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const RESTARTS = 20;
const CLIENTS = 8;
/** How long the load runs against a healthy database between two restarts. */
const HEALTHY_MS = 1500;
/** How long the database stays down: long enough for calls to meet a refused connection. */
const DOWN_MS = 500;

const CREATE_PET = `mutation ($input: CreatePetInput!) {
  createPet(input: $input) { __typename ... on PetPayload { pet { id } } }
}`;
const CREATE_ORDER = `mutation ($input: CreateOrderInput!) {
  createOrder(input: $input) { __typename ... on OrderPayload { order { id } } }
}`;
const CONFIRM_ORDER = `mutation ($id: ID!) {
  confirmOrder(id: $id) { __typename ... on OrderPayload { order { id status } } }
}`;

type Failure = { operation: string; status: number; errors: unknown };

let postgres: PrivatePostgres;
let server: ServiceProcess;
let relay: ChildRelay;
let graphqlUrl: string;
const topicPrefix = randomTopicPrefix();

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  await applyMigrations({ databaseUrl: postgres.url });
  const env = {
    DATABASE_URL: postgres.url,
    KAFKA_BROKERS: DEFAULT_BROKERS,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    OUTBOX_POLLING_INTERVAL: '0.2',
    // Batches a relay published but could not mark are taken over after this.
    OUTBOX_LEASE_TIMEOUT: '3',
    OUTBOX_METRICS_INTERVAL: '1',
    LOG_LEVEL: 'info',
  };
  server = startServiceProcess({ ...env, PORT: '0' });
  graphqlUrl = await server.ready();
  relay = spawnRelay(env);
  await relay.ready;
});

afterAll(async () => {
  if (server?.alive()) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await relay?.stop();
  await postgres?.destroy();
});

/** One client's loop: createPet → createOrder → confirmOrder, until told to stop; every failure kept. */
async function runClient(
  client: number,
  running: () => boolean,
  failures: Failure[],
  succeeded: { n: number },
) {
  let round = 0;
  const call = async (operation: string, query: string, variables: Record<string, unknown>) => {
    let response: Response;
    let body: { data?: Record<string, Record<string, unknown> | null>; errors?: unknown };
    try {
      response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      body = (await response.json()) as typeof body;
    } catch (error) {
      // The server is gone (or cut the connection): the assertions on its liveness report it.
      failures.push({ operation, status: 0, errors: String(error) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      return null;
    }
    if (body.errors || !body.data) {
      failures.push({ operation, status: response.status, errors: body.errors });
      return null;
    }
    succeeded.n += 1;
    return body.data;
  };
  while (running()) {
    round += 1;
    const pet = await call('createPet', CREATE_PET, {
      input: { name: `Pet ${client}-${round}`, species: 'dog', price: '10.00' },
    });
    const petId = (pet?.createPet?.pet as { id: string } | undefined)?.id;
    if (!petId) continue;
    const order = await call('createOrder', CREATE_ORDER, {
      input: { customerId: `customer_${client}`, petId },
    });
    const orderId = (order?.createOrder?.order as { id: string } | undefined)?.id;
    if (!orderId) continue;
    await call('confirmOrder', CONFIRM_ORDER, { id: orderId });
  }
}

async function createPetWorks(): Promise<boolean> {
  const response = await graphql<{ createPet: { __typename: string } }>(graphqlUrl, CREATE_PET, {
    input: { name: 'Probe', species: 'cat', price: '1.00' },
  }).catch(() => null);
  return response?.data?.createPet.__typename === 'PetPayload';
}

describe(`PostgreSQL restarted ${RESTARTS} times under load`, () => {
  test(
    'the server and the relay survive, failed calls are retriable, and Kafka holds exactly the committed events in order',
    async () => {
      const failures: Failure[] = [];
      const succeeded = { n: 0 };
      let loadRunning = true;
      const clients = Array.from({ length: CLIENTS }, (_, client) =>
        runClient(client, () => loadRunning, failures, succeeded),
      );
      const recoveries: number[] = [];
      try {
        for (let restart = 1; restart <= RESTARTS; restart += 1) {
          await new Promise((resolve) => setTimeout(resolve, HEALTHY_MS));
          await postgres.stop();
          await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
          await postgres.start();
          const back = Date.now();
          await waitFor(createPetWorks, {
            timeoutMs: 10_000,
            intervalMs: 100,
            what: `createPet to work again after restart ${restart}`,
          });
          recoveries.push(Date.now() - back);
          expect(server.alive(), `server alive after restart ${restart}:\n${server.stderr()}`).toBe(true);
          expect(
            relay.child.exitCode,
            `relay alive after restart ${restart}:\n${relay.output.join('\n')}`,
          ).toBeNull();
        }
      } finally {
        loadRunning = false;
        await Promise.all(clients);
      }
      expect(server.alive()).toBe(true);
      expect(relay.child.exitCode).toBeNull();
      expect(succeeded.n).toBeGreaterThan(0);

      // Every failed call was told the database was unavailable, and that retrying is right.
      expect(failures.length).toBeGreaterThan(0);
      const notRetriable = failures.filter(
        ({ errors }) =>
          !Array.isArray(errors) ||
          !errors.every(
            (error: { extensions?: { code?: string; retryable?: boolean } }) =>
              error.extensions?.code === 'SERVICE_UNAVAILABLE' && error.extensions.retryable === true,
          ),
      );
      expect(notRetriable.slice(0, 5)).toEqual([]);
      expect(failures.every(({ status }) => status === 503)).toBe(true);

      // Everything committed gets published; then Kafka is compared with the outbox.
      const db = new pg.Client({ connectionString: postgres.url });
      db.on('error', () => {});
      await db.connect();
      try {
        await waitFor(
          async () => {
            const { rows } = await db.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM outbox_events WHERE status <> 'published'",
            );
            return rows[0]?.n === 0;
          },
          { timeoutMs: 60_000, intervalMs: 250, what: 'every committed event to be published' },
        );
        const onKafka = await compareKafkaWithOutbox(db, DEFAULT_BROKERS, allTopics(topicPrefix));
        expect(onKafka.lost).toEqual([]);
        expect(onKafka.phantom).toEqual([]);
        expect(onKafka.outOfOrder.slice(0, 5)).toEqual([]);
        process.stderr.write(
          `[database-restart] ${RESTARTS} restarts; ${succeeded.n} calls succeeded, ${failures.length} failed ` +
            `(all SERVICE_UNAVAILABLE); recovery after restart: max ${Math.max(...recoveries)} ms; ` +
            `${onKafka.committed} events, ${onKafka.redelivered} redelivered\n`,
        );
      } finally {
        await db.end();
      }
    },
    RESTARTS * 20_000 + 120_000,
  );
});

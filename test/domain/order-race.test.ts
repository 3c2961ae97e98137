import pg from 'pg';
import { afterAll, describe, expect } from 'vitest';
import {
  CANCEL_ORDER,
  CREATE_ORDER,
  type DomainApp,
  newOrder,
  newPet,
  orderStep,
  type Result,
} from '../support/domain-app.ts';
import { test } from '../support/fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

let app: DomainApp;
let admin: pg.Client;
/** Holds a pet's row lock in the gated races; a connection of its own, since pg_stat_activity is
 * snapshotted once per transaction and the watching must happen outside the lock holder's. */
let locker: pg.Client;

test.beforeAll(async ({ domainApp }) => {
  app = domainApp;
  admin = new pg.Client({ connectionString: app.testApp.database.url });
  locker = new pg.Client({ connectionString: app.testApp.database.url });
  await admin.connect();
  await locker.connect();
});

afterAll(async () => {
  await locker?.end();
  await admin?.end();
});

const ROUNDS = 25;
const GATED_ROUNDS = 10;

async function race(petId: string, racers: number): Promise<Result[]> {
  const responses = await Promise.all(
    Array.from({ length: racers }, (_, i) =>
      app.gql(CREATE_ORDER, {
        input: { customerId: `racer_${i}`, petId },
        // Half of the racers also confirm: a losing confirm must leave no order.confirmed either.
        confirm: i % 2 === 1,
      }),
    ),
  );
  return responses.map((response) => response.createOrder as Result);
}

/** What the database holds for the pet after a race: orders, and order/pet events that mention it. */
async function aftermath(petId: string) {
  const { rows: orders } = await admin.query<{ id: string; status: string }>(
    'SELECT id, status::text FROM orders WHERE pet_id = $1',
    [petId],
  );
  const { rows: orderEvents } = await admin.query<{
    aggregate_id: string;
    event_type: string;
    aggregate_sequence: number;
  }>(
    `SELECT aggregate_id, event_type, aggregate_sequence FROM outbox_events
     WHERE aggregate_type = 'order' AND (event_data::jsonb -> 'order' ->> 'petId') = $1
     ORDER BY aggregate_sequence`,
    [petId],
  );
  const petEvents = (await app.eventsOf('pet', petId)).map((event) => [
    event.event_type,
    event.aggregate_sequence,
  ]);
  const { rows: pets } = await admin.query<{ status: string }>(
    'SELECT status::text FROM pets WHERE id = $1',
    [petId],
  );
  return { orders, orderEvents, petEvents, petStatus: pets[0]?.status };
}

function expectOneWinner(results: Result[], petId: string) {
  const winners = results.filter((result) => result.__typename === 'OrderPayload');
  const losers = results.filter((result) => result.__typename !== 'OrderPayload');
  expect(winners).toHaveLength(1);
  for (const loser of losers)
    expect(loser).toMatchObject({ __typename: 'PetNotAvailableError', petId, status: 'pending' });
  return winners[0] as Result;
}

async function expectNoOversell(petId: string, winner: Result) {
  const { orders, orderEvents, petEvents, petStatus } = await aftermath(petId);
  expect(orders).toEqual([{ id: winner.order.id, status: winner.order.status }]);
  const expectedOrderEvents = [['order.created', 1]];
  if (winner.order.status === 'confirmed') expectedOrderEvents.push(['order.confirmed', 2]);
  expect(orderEvents.map((event) => [event.event_type, event.aggregate_sequence])).toEqual(
    expectedOrderEvents,
  );
  expect(orderEvents.every((event) => event.aggregate_id === winner.order.id)).toBe(true);
  expect(petEvents).toEqual([
    ['pet.created', 1],
    ['pet.status_changed', 2],
  ]);
  expect(petStatus).toBe('pending');
}

describe('concurrent orders for the same pet', () => {
  test(`exactly one of 2–4 racers wins, ${ROUNDS} rounds; the losers leave no order and no event`, async () => {
    const before = await app.counts();
    let expectedEvents = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const petId = await newPet(app, { name: `Race ${round}` });
      expectedEvents += 1;
      const results = await race(petId, 2 + (round % 3));
      const winner = expectOneWinner(results, petId);
      await expectNoOversell(petId, winner);
      expectedEvents += winner.order.status === 'confirmed' ? 3 : 2;
    }
    expect(await app.counts()).toMatchObject({
      pets: before.pets + ROUNDS,
      orders: before.orders + ROUNDS,
      events: before.events + expectedEvents,
    });
  });

  test(`exactly one wins when all racers are provably in flight at once, ${GATED_ROUNDS} rounds`, async () => {
    for (let round = 0; round < GATED_ROUNDS; round++) {
      const petId = await newPet(app, { name: `Gated race ${round}` });
      const racers = 2 + (round % 3);
      // Hold the pet's row lock from outside, so every racer's transaction blocks on its reservation
      // UPDATE; once all of them wait, let go, and they contend for real.
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM pets WHERE id = $1 FOR UPDATE', [petId]);
      const pending = race(petId, racers);
      await waitFor(
        async () => {
          const { rows } = await admin.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE%pets%'`,
          );
          return rows[0]?.waiting === racers;
        },
        { what: `${racers} transactions blocked on the pet's row` },
      );
      await locker.query('COMMIT');
      const winner = expectOneWinner(await pending, petId);
      await expectNoOversell(petId, winner);
    }
  });
});

describe('concurrent steps on one order', () => {
  test('two cancels: one succeeds, the other is an InvalidTransitionError; one cancellation, one release', async () => {
    for (let round = 0; round < 10; round++) {
      const petId = await newPet(app);
      const orderId = await newOrder(app, petId);
      const results = await Promise.all(
        [0, 1].map(
          async () => (await app.gql(CANCEL_ORDER, { id: orderId, reason: 'race' })).cancelOrder as Result,
        ),
      );
      const typenames = results.map((result) => result.__typename).sort();
      expect(typenames).toEqual(['InvalidTransitionError', 'OrderPayload']);
      expect(results.find((result) => result.__typename === 'InvalidTransitionError')).toMatchObject({
        from: 'cancelled',
        to: 'cancelled',
      });
      const events = (await app.eventsOf('order', orderId)).map((event) => [
        event.event_type,
        event.aggregate_sequence,
      ]);
      expect(events).toEqual([
        ['order.created', 1],
        ['order.cancelled', 2],
      ]);
      const petEvents = (await app.eventsOf('pet', petId)).map(
        (event) => event.data.reason ?? event.event_type,
      );
      expect(petEvents).toEqual(['pet.created', 'order_placed', 'order_cancelled']);
    }
  });

  test('confirm racing cancel: whichever order they run in, the events tell the same story as the row', async () => {
    for (let round = 0; round < 10; round++) {
      const orderId = await newOrder(app, await newPet(app));
      const [confirmed, cancelled] = await Promise.all([
        app.gql(orderStep('confirmOrder'), { id: orderId }).then((data) => data.confirmOrder as Result),
        app.gql(CANCEL_ORDER, { id: orderId, reason: 'race' }).then((data) => data.cancelOrder as Result),
      ]);
      // Cancelling is legal from both pending and confirmed, so the cancel always succeeds.
      expect(cancelled.__typename).toBe('OrderPayload');
      const events = (await app.eventsOf('order', orderId)).map((event) => [
        event.event_type,
        event.aggregate_sequence,
      ]);
      if (confirmed.__typename === 'OrderPayload') {
        expect(events).toEqual([
          ['order.created', 1],
          ['order.confirmed', 2],
          ['order.cancelled', 3],
        ]);
      } else {
        expect(confirmed).toMatchObject({
          __typename: 'InvalidTransitionError',
          from: 'cancelled',
          to: 'confirmed',
        });
        expect(events).toEqual([
          ['order.created', 1],
          ['order.cancelled', 2],
        ]);
      }
    }
  });
});

describe('the database backstop', () => {
  test('refuses a second open order for one pet even when written around the service', async () => {
    const petId = await newPet(app);
    await newOrder(app, petId);
    const insert = (status: string) =>
      admin.query(
        `INSERT INTO orders (id, customer_id, pet_id, status, unit_price, total_price, updated_at)
         VALUES (gen_random_uuid(), 'intruder', $1, $2::order_status, 1, 1, now())`,
        [petId, status],
      );
    await expect(insert('pending')).rejects.toThrow(/orders_one_open_order_per_pet/);
    await expect(insert('confirmed')).rejects.toThrow(/orders_one_open_order_per_pet/);
    // Closed orders are history and may be many.
    await insert('cancelled');
    await insert('cancelled');
  });
});

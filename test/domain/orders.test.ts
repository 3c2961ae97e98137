import { describe, expect } from 'vitest';
import {
  CANCEL_ORDER,
  CREATE_ORDER,
  type DomainApp,
  newOrder,
  newPet,
  orderStep,
  type Result,
} from '../support/domain-app.ts';
import { exampleOrderInput } from '../support/examples.ts';
import { test } from '../support/fixtures.ts';

let app: DomainApp;

test.beforeAll(({ domainApp }) => {
  app = domainApp;
});

const steps = (events: { event_type: string; aggregate_sequence: number }[]) =>
  events.map((event) => [event.event_type, event.aggregate_sequence]);

describe('createOrder', () => {
  test("places a pending order, reserves the pet, and writes order.created and the pet's status change", async () => {
    const petId = await newPet(app, { price: '1200.00' });
    const before = await app.counts();
    const { createOrder } = await app.gql(
      CREATE_ORDER,
      {
        input: exampleOrderInput(petId),
      },
      { 'x-correlation-id': 'corr-order-1' },
    );
    expect(createOrder?.__typename).toBe('OrderPayload');
    const order = createOrder?.order;
    expect(order).toMatchObject({
      ...exampleOrderInput(petId),
      status: 'pending',
      unitPrice: '1200.00',
      totalPrice: '1200.00',
      confirmedAt: null,
      pet: { id: petId, status: 'pending' },
    });
    expect(createOrder?.pet.status).toBe('pending');
    expect(await app.counts()).toMatchObject({ orders: before.orders + 1, events: before.events + 2 });

    const orderEvents = await app.eventsOf('order', order.id);
    expect(steps(orderEvents)).toEqual([['order.created', 1]]);
    expect(orderEvents[0]).toMatchObject({
      correlation_id: 'corr-order-1',
      topic: `${app.topicPrefix}.orders`,
    });
    expect(orderEvents[0]?.data).toMatchObject({
      schemaVersion: 1,
      order: { id: order.id, petId, customerId: 'customer_123', status: 'pending', totalPrice: '1200.00' },
      pet: { id: petId, status: 'pending', price: '1200.00', name: 'Buddy' },
    });
    const petEvents = await app.eventsOf('pet', petId);
    expect(steps(petEvents)).toEqual([
      ['pet.created', 1],
      ['pet.status_changed', 2],
    ]);
    expect(petEvents[1]?.data).toMatchObject({
      previousStatus: 'available',
      reason: 'order_placed',
      orderId: order.id,
      pet: { status: 'pending' },
    });
    // One transaction wrote the order's and the pet's events.
    expect(petEvents[1]?.xmin).toBe(orderEvents[0]?.xmin);
    // The payload lists them in the order written.
    expect(createOrder?.events.map((event: { eventType: string }) => event.eventType)).toEqual([
      'pet.status_changed',
      'order.created',
    ]);
  });

  test('with confirm: true writes order.created then order.confirmed (sequence 1, 2) from one transaction', async () => {
    const petId = await newPet(app);
    const { createOrder } = await app.gql(CREATE_ORDER, {
      input: { customerId: 'customer_123', petId },
      confirm: true,
    });
    expect(createOrder?.order).toMatchObject({ status: 'confirmed', confirmedAt: expect.any(String) });
    const events = await app.eventsOf('order', createOrder?.order.id);
    expect(steps(events)).toEqual([
      ['order.created', 1],
      ['order.confirmed', 2],
    ]);
    expect(events[0]?.xmin).toBe(events[1]?.xmin);
    expect(events[0]?.data.order.status).toBe('pending');
    expect(events[1]?.data.order).toMatchObject({
      status: 'confirmed',
      confirmedAt: createOrder?.order.confirmedAt,
    });
  });

  test('keeps the price the order was placed at, exactly', async () => {
    const petId = await newPet(app, { price: '0.10' });
    const orderId = await newOrder(app, petId);
    await app.gql('mutation ($id: ID!) { changePetPrice(id: $id, price: "0.30") { __typename } }', {
      id: petId,
    });
    const { order } = await app.gql(
      'query ($id: ID!) { order(id: $id) { unitPrice totalPrice pet { price } } }',
      {
        id: orderId,
      },
    );
    expect(order).toEqual({ unitPrice: '0.10', totalPrice: '0.10', pet: { price: '0.30' } });
  });
});

describe('the order workflow', () => {
  test('confirmOrder: pending → confirmed, writing order.confirmed', async () => {
    const orderId = await newOrder(app, await newPet(app));
    const { confirmOrder } = await app.gql(orderStep('confirmOrder'), { id: orderId });
    expect(confirmOrder?.order).toMatchObject({ status: 'confirmed', confirmedAt: expect.any(String) });
    expect(confirmOrder?.pet.status).toBe('pending');
    expect(steps(await app.eventsOf('order', orderId))).toEqual([
      ['order.created', 1],
      ['order.confirmed', 2],
    ]);
  });

  test('deliverOrder: confirmed → delivered, and the pet is sold', async () => {
    const petId = await newPet(app);
    const orderId = await newOrder(app, petId, { confirm: true });
    const { deliverOrder } = await app.gql(orderStep('deliverOrder'), { id: orderId });
    expect(deliverOrder?.order).toMatchObject({ status: 'delivered', deliveredAt: expect.any(String) });
    expect(deliverOrder?.pet.status).toBe('sold');
    const orderEvents = await app.eventsOf('order', orderId);
    expect(steps(orderEvents)).toEqual([
      ['order.created', 1],
      ['order.confirmed', 2],
      ['order.delivered', 3],
    ]);
    const petEvents = await app.eventsOf('pet', petId);
    expect(steps(petEvents)).toEqual([
      ['pet.created', 1],
      ['pet.status_changed', 2],
      ['pet.status_changed', 3],
    ]);
    expect(petEvents[2]?.data).toMatchObject({
      previousStatus: 'pending',
      reason: 'order_delivered',
      pet: { status: 'sold' },
    });
    expect(petEvents[2]?.xmin).toBe(orderEvents[2]?.xmin);
  });

  test.each(['pending', 'confirmed'] as const)(
    'cancelOrder from %s: cancelled, the pet is available again and can be ordered anew',
    async (from) => {
      const petId = await newPet(app);
      const orderId = await newOrder(app, petId, { confirm: from === 'confirmed' });
      const { cancelOrder } = await app.gql(CANCEL_ORDER, {
        id: orderId,
        reason: '  Customer changed their mind ',
      });
      expect(cancelOrder?.order).toMatchObject({
        status: 'cancelled',
        cancelReason: 'Customer changed their mind',
        cancelledAt: expect.any(String),
      });
      expect(cancelOrder?.pet.status).toBe('available');
      const orderEvents = await app.eventsOf('order', orderId);
      const last = orderEvents.at(-1);
      expect(last).toMatchObject({ event_type: 'order.cancelled', aggregate_sequence: orderEvents.length });
      expect(last?.data).toMatchObject({
        previousStatus: from,
        reason: 'Customer changed their mind',
        order: { status: 'cancelled' },
      });
      const petEvents = await app.eventsOf('pet', petId);
      expect(petEvents.at(-1)?.data).toMatchObject({
        previousStatus: 'pending',
        reason: 'order_cancelled',
        orderId,
        pet: { status: 'available' },
      });

      const again = await newOrder(app, petId, { customerId: 'customer_456' });
      expect(again).not.toBe(orderId);
    },
  );
});

describe('order and orders', () => {
  test('order(id) returns the order with its pet; unknown or malformed ids give null', async () => {
    const petId = await newPet(app, { name: 'Lookup' });
    const orderId = await newOrder(app, petId);
    const { order } = await app.gql('query ($id: ID!) { order(id: $id) { id status pet { name } } }', {
      id: orderId,
    });
    expect(order).toEqual({ id: orderId, status: 'pending', pet: { name: 'Lookup' } });
    for (const id of ['00000000-0000-4000-8000-000000000000', 'order_789']) {
      expect((await app.gql('query ($id: ID!) { order(id: $id) { id } }', { id })).order).toBeNull();
    }
  });

  test('orders filters by customer and status, newest first, with cursor pagination', async () => {
    const customerId = `customer_${Date.now()}`;
    const pending: string[] = [];
    for (let i = 0; i < 3; i++) pending.push(await newOrder(app, await newPet(app), { customerId }));
    const confirmed = await newOrder(app, await newPet(app), { customerId, confirm: true });
    await newOrder(app, await newPet(app), { customerId: 'someone_else' });
    const PAGE = `query ($customerId: String, $status: OrderStatus, $after: String) {
      orders(customerId: $customerId, status: $status, first: 2, after: $after) {
        edges { node { id customerId status } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const all = async (status: string | null) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const { orders }: Record<string, Result> = await app.gql(PAGE, { customerId, status, after });
        for (const edge of orders?.edges ?? []) {
          expect(edge.node.customerId).toBe(customerId);
          ids.push(edge.node.id);
        }
        if (!orders?.pageInfo.hasNextPage) return ids;
        after = orders.pageInfo.endCursor;
      }
    };
    expect(await all(null)).toEqual([confirmed, ...[...pending].reverse()]);
    expect(await all('pending')).toEqual([...pending].reverse());
    expect(await all('confirmed')).toEqual([confirmed]);
  });
});

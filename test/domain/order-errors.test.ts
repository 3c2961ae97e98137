import { beforeAll, describe, expect } from 'vitest';
import {
  CANCEL_ORDER,
  CREATE_ORDER,
  type DomainApp,
  expectNothingWritten,
  newOrder,
  newPet,
  orderStep,
} from '../support/domain-app.ts';
import { test } from '../support/fixtures.ts';

let app: DomainApp;

test.beforeAll(({ domainApp }) => {
  app = domainApp;
});

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

async function createOrderRejected(input: Record<string, unknown>) {
  const { createOrder } = await expectNothingWritten(app, () => app.gql(CREATE_ORDER, { input }));
  return createOrder;
}

async function petStatus(id: string): Promise<string> {
  const { pet } = await app.gql('query ($id: ID!) { pet(id: $id) { status } }', { id });
  return pet?.status;
}

describe('createOrder refuses bad input with a ValidationError and writes nothing', () => {
  let petId: string;
  beforeAll(async () => {
    petId = await newPet(app);
  });

  test.each([
    ['quantity 2 (a pet is one animal)', { quantity: 2 }, 'quantity', 'must be 1'],
    ['quantity 0', { quantity: 0 }, 'quantity', 'must be 1'],
    ['negative quantity', { quantity: -1 }, 'quantity', 'must be 1'],
    ['malformed customer id', { customerId: 'customer 123!' }, 'customerId', 'letters, digits'],
    ['empty customer id', { customerId: '' }, 'customerId', 'letters, digits'],
    ['malformed pet id', { petId: 'pet_456' }, 'petId', 'UUID'],
    ['empty special instructions', { specialInstructions: ' ' }, 'specialInstructions', 'must not be empty'],
    [
      'over-long special instructions',
      { specialInstructions: 'x'.repeat(1001) },
      'specialInstructions',
      '1000',
    ],
  ])('%s', async (_name, change, field, message) => {
    const result = await createOrderRejected({ customerId: 'customer_123', petId, ...change });
    expect(result).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: ['input', field], message: expect.stringContaining(message) }],
    });
    expect(await petStatus(petId)).toBe('available');
  });
});

describe('createOrder conflicts', () => {
  test('an unknown pet is a NotFoundError', async () => {
    const result = await createOrderRejected({ customerId: 'customer_123', petId: UNKNOWN_ID });
    expect(result).toMatchObject({ __typename: 'NotFoundError', entity: 'Pet', id: UNKNOWN_ID });
  });

  test('a pet held by another order is a PetNotAvailableError (pending)', async () => {
    const petId = await newPet(app);
    await newOrder(app, petId);
    const result = await createOrderRejected({ customerId: 'customer_456', petId });
    expect(result).toMatchObject({ __typename: 'PetNotAvailableError', petId, status: 'pending' });
  });

  test('a sold pet is a PetNotAvailableError (sold)', async () => {
    const petId = await newPet(app);
    const orderId = await newOrder(app, petId, { confirm: true });
    await app.gql(orderStep('deliverOrder'), { id: orderId });
    const result = await createOrderRejected({ customerId: 'customer_456', petId });
    expect(result).toMatchObject({ __typename: 'PetNotAvailableError', petId, status: 'sold' });
  });
});

type Step = 'confirm' | 'deliver' | 'cancel';

async function runStep(step: Step, id: string) {
  if (step === 'cancel') return (await app.gql(CANCEL_ORDER, { id, reason: 'no longer wanted' })).cancelOrder;
  const name = step === 'confirm' ? 'confirmOrder' : 'deliverOrder';
  return (await app.gql(orderStep(name), { id }))[name];
}

/** An order in `status`, reached through the API. */
async function orderIn(status: 'pending' | 'confirmed' | 'delivered' | 'cancelled') {
  const petId = await newPet(app);
  const orderId = await newOrder(app, petId, { confirm: status !== 'pending' });
  if (status === 'delivered') await runStep('deliver', orderId);
  if (status === 'cancelled') await runStep('cancel', orderId);
  return { orderId, petId };
}

const target = { confirm: 'confirmed', deliver: 'delivered', cancel: 'cancelled' } as const;

describe('illegal transitions are an InvalidTransitionError and write nothing', () => {
  test.each([
    ['confirm', 'confirmed'],
    ['confirm', 'delivered'],
    ['confirm', 'cancelled'],
    ['deliver', 'pending'],
    ['deliver', 'delivered'],
    ['deliver', 'cancelled'],
    ['cancel', 'delivered'],
    ['cancel', 'cancelled'],
  ] as const)('%s a %s order', async (step, from) => {
    const { orderId, petId } = await orderIn(from);
    const petBefore = await petStatus(petId);
    const result = await expectNothingWritten(app, () => runStep(step, orderId));
    expect(result).toMatchObject({ __typename: 'InvalidTransitionError', orderId, from, to: target[step] });
    expect(result?.message).toBe(`order ${orderId} is ${from} and cannot become ${target[step]}`);
    const { order } = await app.gql('query ($id: ID!) { order(id: $id) { status } }', { id: orderId });
    expect(order?.status).toBe(from);
    expect(await petStatus(petId)).toBe(petBefore);
  });
});

describe('order steps on unknown or malformed ids, and bad cancel reasons', () => {
  test.each(['confirm', 'deliver', 'cancel'] as const)(
    '%s an unknown order is a NotFoundError',
    async (step) => {
      const result = await expectNothingWritten(app, () => runStep(step, UNKNOWN_ID));
      expect(result).toMatchObject({ __typename: 'NotFoundError', entity: 'Order', id: UNKNOWN_ID });
    },
  );

  test.each(['confirm', 'deliver', 'cancel'] as const)(
    '%s a malformed id is a ValidationError',
    async (step) => {
      const result = await expectNothingWritten(app, () => runStep(step, 'order_789'));
      expect(result).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['id'] }] });
    },
  );

  test.each([
    ['empty', ''],
    ['over-long', 'x'.repeat(1001)],
  ])('an %s cancel reason is a ValidationError', async (_name, reason) => {
    const { orderId } = await orderIn('pending');
    const { cancelOrder } = await expectNothingWritten(app, () =>
      app.gql(CANCEL_ORDER, { id: orderId, reason }),
    );
    expect(cancelOrder).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['reason'] }] });
  });
});

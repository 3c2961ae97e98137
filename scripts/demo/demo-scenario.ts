import { EXAMPLE_ORDER_INPUT } from '../../src/modules/orders/example-order.ts';
import { EXAMPLE_PET_INPUT } from '../../src/modules/pets/example-pet.ts';
import type { GraphQLClient } from './graphql-client.ts';

/**
 * The design document's usage scenarios, through the GraphQL API: a few pets, an order taken through its
 * workflow (create, confirm, deliver), a registered user, and an order cancelled. Every request carries a
 * correlation id naming the run and the step, so its events are easy to find on Kafka and in the logs.
 *
 * Runs again without failing: pets and orders are new rows each time, and the user's id and e-mail carry
 * the run id (user ids and e-mail addresses are unique).
 */

const EVENTS = 'events { id eventType aggregateType aggregateId aggregateSequence }';
const ERRORS = `... on Error { __typename message }
  ... on ValidationError { issues { path message } }`;

const CREATE_PET = `mutation DemoCreatePet($input: CreatePetInput!) {
  createPet(input: $input) { __typename ... on PetPayload { pet { id name species price status } ${EVENTS} } ${ERRORS} }
}`;
const CREATE_ORDER = `mutation DemoCreateOrder($input: CreateOrderInput!) {
  createOrder(input: $input) { __typename ... on OrderPayload { order { id status totalPrice } ${EVENTS} } ${ERRORS} }
}`;
const CONFIRM_ORDER = `mutation DemoConfirmOrder($id: ID!) {
  confirmOrder(id: $id) { __typename ... on OrderPayload { order { id status } ${EVENTS} } ${ERRORS} }
}`;
const DELIVER_ORDER = `mutation DemoDeliverOrder($id: ID!) {
  deliverOrder(id: $id) { __typename ... on OrderPayload { order { id status } pet { status } ${EVENTS} } ${ERRORS} }
}`;
const CANCEL_ORDER = `mutation DemoCancelOrder($id: ID!, $reason: String!) {
  cancelOrder(id: $id, reason: $reason) { __typename ... on OrderPayload { order { id status } pet { status } ${EVENTS} } ${ERRORS} }
}`;
const REGISTER_USER = `mutation DemoRegisterUser($id: ID!, $input: RegisterUserInput!) {
  registerUser(id: $id, input: $input) { __typename ... on UserPayload { user { id name } ${EVENTS} } ${ERRORS} }
}`;
const AGGREGATE_EVENTS = `query DemoAggregateEvents($aggregateId: String!) {
  outboxEvents(aggregateId: $aggregateId, first: 100) { edges { node { id status } } }
}`;

export type WrittenEvent = {
  id: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  aggregateSequence: number;
};

type MutationResult = {
  __typename: string;
  message?: string;
  issues?: { path: string[]; message: string }[];
  events?: WrittenEvent[];
};

export type DemoRun = {
  runId: string;
  petIds: string[];
  deliveredOrderId: string;
  cancelledOrderId: string;
  userId: string;
  events: WrittenEvent[];
};

/** A mutation answered with one of its error types: the demo stops, saying which step and why. */
function expectPayload<T extends MutationResult>(step: string, result: T, payloadType: string): T {
  if (result.__typename === payloadType) return result;
  const issues = result.issues?.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new Error(`${step}: ${result.__typename}: ${result.message ?? ''}${issues ? ` (${issues})` : ''}`);
}

const DEMO_PETS = [
  EXAMPLE_PET_INPUT,
  { name: 'Max', species: 'dog', price: '800.00' },
  { name: 'Whiskers', species: 'cat', breed: 'Maine Coon', age: 2, price: '450.00' },
];

export async function runDemoScenario({
  graphql,
  runId,
  say,
}: {
  graphql: GraphQLClient;
  runId: string;
  say: (line: string) => void;
}): Promise<DemoRun> {
  const events: WrittenEvent[] = [];
  const correlation = (step: string) => ({ correlationId: `demo-${runId}-${step}` });
  const written = (result: MutationResult) => {
    events.push(...(result.events ?? []));
    return (result.events ?? []).map((event) => `${event.eventType} #${event.aggregateSequence}`).join(', ');
  };

  const pets: { id: string; name: string }[] = [];
  for (const input of DEMO_PETS) {
    const step = `create-pet-${input.name.toLowerCase()}`;
    const { createPet } = await graphql<{
      createPet: MutationResult & { pet: { id: string; name: string; species: string; price: string } };
    }>(CREATE_PET, { input }, correlation(step));
    const { pet } = expectPayload(`createPet ${input.name}`, createPet, 'PetPayload');
    pets.push(pet);
    say(`createPet     ${pet.name} (${pet.species}, ${pet.price}) → pet ${pet.id}   [${written(createPet)}]`);
  }
  const [buddy, , whiskers] = pets as [{ id: string; name: string }, unknown, { id: string; name: string }];

  const { createOrder: placed } = await graphql<{
    createOrder: MutationResult & { order: { id: string; status: string; totalPrice: string } };
  }>(
    CREATE_ORDER,
    {
      input: { ...EXAMPLE_ORDER_INPUT, petId: buddy.id },
    },
    correlation('order-create'),
  );
  const order = expectPayload('createOrder', placed, 'OrderPayload').order;
  say(
    `createOrder   ${buddy.name} for customer_123 → order ${order.id} ${order.status}   [${written(placed)}]`,
  );

  const { confirmOrder } = await graphql<{ confirmOrder: MutationResult & { order: { status: string } } }>(
    CONFIRM_ORDER,
    { id: order.id },
    correlation('order-confirm'),
  );
  say(
    `confirmOrder  ${order.id} → ${expectPayload('confirmOrder', confirmOrder, 'OrderPayload').order.status}   [${written(confirmOrder)}]`,
  );

  const { deliverOrder } = await graphql<{
    deliverOrder: MutationResult & { order: { status: string }; pet: { status: string } };
  }>(DELIVER_ORDER, { id: order.id }, correlation('order-deliver'));
  const delivered = expectPayload('deliverOrder', deliverOrder, 'OrderPayload');
  say(
    `deliverOrder  ${order.id} → ${delivered.order.status}, ${buddy.name} is ${delivered.pet.status}   [${written(deliverOrder)}]`,
  );

  const userId = `demo_user_${runId}`;
  // Contact details are an admin's to read back, so the demo prints the ones it sent.
  const email = `john.doe+${runId}@example.com`;
  const { registerUser } = await graphql<{
    registerUser: MutationResult & { user: { id: string; name: string } };
  }>(
    REGISTER_USER,
    { id: userId, input: { name: 'John Doe', email, phone: '+1234567890' } },
    correlation('register-user'),
  );
  const user = expectPayload('registerUser', registerUser, 'UserPayload').user;
  say(`registerUser  ${user.id} ${user.name} <${email}>   [${written(registerUser)}]`);

  const { createOrder: second } = await graphql<{ createOrder: MutationResult & { order: { id: string } } }>(
    CREATE_ORDER,
    { input: { customerId: 'customer_456', petId: whiskers.id } },
    correlation('order2-create'),
  );
  const toCancel = expectPayload('createOrder', second, 'OrderPayload').order;
  say(`createOrder   ${whiskers.name} for customer_456 → order ${toCancel.id}   [${written(second)}]`);
  const { cancelOrder } = await graphql<{
    cancelOrder: MutationResult & { order: { status: string }; pet: { status: string } };
  }>(CANCEL_ORDER, { id: toCancel.id, reason: 'Customer changed their mind' }, correlation('order2-cancel'));
  const cancelled = expectPayload('cancelOrder', cancelOrder, 'OrderPayload');
  say(
    `cancelOrder   ${toCancel.id} → ${cancelled.order.status}, ${whiskers.name} is ${cancelled.pet.status} again   [${written(cancelOrder)}]`,
  );

  return {
    runId,
    petIds: pets.map((pet) => pet.id),
    deliveredOrderId: order.id,
    cancelledOrderId: toCancel.id,
    userId,
    events,
  };
}

/** How many of the run's events the relay has published so far, as the outbox says. */
export async function countPublished(graphql: GraphQLClient, run: DemoRun): Promise<number> {
  const wanted = new Set(run.events.map((event) => event.id));
  const aggregates = [...new Set(run.events.map((event) => event.aggregateId))];
  let published = 0;
  for (const aggregateId of aggregates) {
    const { outboxEvents } = await graphql<{
      outboxEvents: { edges: { node: { id: string; status: string } }[] };
    }>(AGGREGATE_EVENTS, { aggregateId });
    published += outboxEvents.edges.filter(
      ({ node }) => wanted.has(node.id) && node.status === 'published',
    ).length;
  }
  return published;
}

import { expect } from 'vitest';
import { type GraphQLResponse, graphql } from './graphql-client.ts';
import { startTestApp, type TestApp } from './test-app.ts';

/** A GraphQL result union member: always asked for with `__typename`. */
// biome-ignore lint/suspicious/noExplicitAny: test-side view of arbitrary GraphQL results
export type Result = { __typename: string } & Record<string, any>;

export type RowCounts = { pets: number; orders: number; users: number; events: number; sequences: number };

export type OutboxRow = {
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  aggregate_sequence: number;
  correlation_id: string | null;
  topic: string;
  status: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed event JSON
  data: any;
  /** The inserting transaction's id: equal values prove one transaction wrote both rows. */
  xmin: string;
};

/**
 * The whole service on its own database, relay off: what a mutation wrote stays in the outbox,
 * where the tests read it. Requests go over real HTTP, so typed errors are tested as clients see them.
 */
export type DomainApp = {
  testApp: TestApp;
  topicPrefix: string;
  /** Runs a mutation or query; GraphQL-level errors (not typed results) fail the test unless allowed. */
  gql<T = Record<string, Result>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<T>;
  raw(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Record<string, Result>>>;
  counts(): Promise<RowCounts>;
  eventsOf(aggregateType: string, aggregateId: string): Promise<OutboxRow[]>;
  stop(): Promise<void>;
};

export async function startDomainApp(): Promise<DomainApp> {
  const testApp = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
  const prisma = testApp.app.services.prisma;
  return {
    testApp,
    topicPrefix: testApp.config.kafka.topicPrefix,
    async gql<T>(
      query: string,
      variables: Record<string, unknown> = {},
      headers: Record<string, string> = {},
    ) {
      const response = await graphql<T>(testApp.graphqlUrl, query, variables, headers);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return response.data as T;
    },
    raw: (query, variables = {}) => graphql<Record<string, Result>>(testApp.graphqlUrl, query, variables),
    async counts() {
      const [row] = await prisma.$queryRaw<RowCounts[]>`
        SELECT (SELECT count(*) FROM pets)::int AS pets,
               (SELECT count(*) FROM orders)::int AS orders,
               (SELECT count(*) FROM users)::int AS users,
               (SELECT count(*) FROM outbox_events)::int AS events,
               (SELECT coalesce(sum(last_sequence), 0) FROM outbox_aggregate_sequences)::int AS sequences`;
      if (!row) throw new Error('no counts');
      return row;
    },
    async eventsOf(aggregateType, aggregateId) {
      const rows = await prisma.$queryRaw<(Omit<OutboxRow, 'data'> & { event_data: string })[]>`
        SELECT id, aggregate_type, aggregate_id, event_type, aggregate_sequence, correlation_id, topic,
               status::text AS status, event_data, xmin::text AS xmin
        FROM outbox_events WHERE aggregate_type = ${aggregateType} AND aggregate_id = ${aggregateId}
        ORDER BY aggregate_sequence`;
      return rows.map(({ event_data, ...row }) => ({ ...row, data: JSON.parse(event_data) }));
    },
    stop: () => testApp.stop(),
  };
}

/** Asserts that `action` leaves every business table and the outbox exactly as they were. */
export async function expectNothingWritten<T>(app: DomainApp, action: () => Promise<T>): Promise<T> {
  const before = await app.counts();
  const result = await action();
  expect(await app.counts()).toEqual(before);
  return result;
}

export const PET_FIELDS = 'id name species breed age price category description status createdAt updatedAt';
export const ORDER_FIELDS =
  'id customerId petId quantity specialInstructions status unitPrice totalPrice cancelReason confirmedAt deliveredAt cancelledAt';
export const EVENT_FIELDS =
  'id eventType aggregateType aggregateId aggregateSequence topic status correlationId data';
const ERROR_DETAILS = {
  ValidationError: 'issues { path message }',
  NotFoundError: 'entity id',
  InvalidTransitionError: 'orderId from to',
  PetNotAvailableError: 'petId status',
  DuplicateEmailError: 'email',
  AlreadyRegisteredError: 'userId',
} as const;

/** The selection for a result union's error members (GraphQL refuses fragments on types outside the union). */
export function errorFields(...types: (keyof typeof ERROR_DETAILS)[]): string {
  return [
    '__typename',
    '... on Error { message }',
    ...types.map((type) => `... on ${type} { ${ERROR_DETAILS[type]} }`),
  ].join('\n');
}

const TRANSITION_ERRORS = errorFields('ValidationError', 'NotFoundError', 'InvalidTransitionError');

export const CREATE_PET = `mutation ($input: CreatePetInput!) {
  createPet(input: $input) {
    ${errorFields('ValidationError')}
    ... on PetPayload { pet { ${PET_FIELDS} } events { ${EVENT_FIELDS} } }
  }
}`;

export const CREATE_ORDER = `mutation ($input: CreateOrderInput!, $confirm: Boolean) {
  createOrder(input: $input, confirm: $confirm) {
    ${errorFields('ValidationError', 'NotFoundError', 'PetNotAvailableError')}
    ... on OrderPayload { order { ${ORDER_FIELDS} pet { id status } } pet { ${PET_FIELDS} } events { ${EVENT_FIELDS} } }
  }
}`;

export const orderStep = (name: 'confirmOrder' | 'deliverOrder') => `mutation ($id: ID!) {
  ${name}(id: $id) {
    ${TRANSITION_ERRORS}
    ... on OrderPayload { order { ${ORDER_FIELDS} } pet { ${PET_FIELDS} } events { ${EVENT_FIELDS} } }
  }
}`;

export const CANCEL_ORDER = `mutation ($id: ID!, $reason: String!) {
  cancelOrder(id: $id, reason: $reason) {
    ${TRANSITION_ERRORS}
    ... on OrderPayload { order { ${ORDER_FIELDS} } pet { ${PET_FIELDS} } events { ${EVENT_FIELDS} } }
  }
}`;

export const REGISTER_USER = `mutation ($id: ID!, $input: RegisterUserInput!) {
  registerUser(id: $id, input: $input) {
    ${errorFields('ValidationError', 'AlreadyRegisteredError', 'DuplicateEmailError')}
    ... on UserPayload { user { id name email phone registeredAt } events { ${EVENT_FIELDS} } }
  }
}`;

/** Creates an available pet through the API and returns its id. */
export async function newPet(app: DomainApp, input: Record<string, unknown> = {}): Promise<string> {
  const { createPet } = await app.gql(CREATE_PET, {
    input: { name: 'Buddy', species: 'dog', price: '1200.00', ...input },
  });
  expect(createPet?.__typename).toBe('PetPayload');
  return createPet?.pet.id as string;
}

/** Creates an order through the API (optionally confirmed) and returns its id. */
export async function newOrder(
  app: DomainApp,
  petId: string,
  { confirm = false, customerId = 'customer_123' } = {},
): Promise<string> {
  const { createOrder } = await app.gql(CREATE_ORDER, { input: { customerId, petId }, confirm });
  expect(createOrder?.__typename).toBe('OrderPayload');
  return createOrder?.order.id as string;
}

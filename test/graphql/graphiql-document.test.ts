import { type ExecutionResult, Kind, type OperationDefinitionNode, parse, print, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  GRAPHIQL_DOCUMENT,
  GRAPHIQL_HEADERS,
  GRAPHIQL_VARIABLES,
  graphiqlDefaults,
} from '../../src/graphql/graphiql-document.ts';
import { schema } from '../../src/graphql/schema.ts';
import { sseSubscribe } from '../live/live-helpers.ts';
import { graphql } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN_TOKEN = 'graphiql-document-test-admin-token-0123456789';
const document = parse(GRAPHIQL_DOCUMENT);
const operations = document.definitions.filter(
  (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
);
const operationNames = operations.map((operation) => operation.name?.value);

describe('the GraphiQL default document', () => {
  test('holds the named scenarios, every one valid against the schema', () => {
    expect(operationNames).toEqual(
      expect.arrayContaining(['CreatePet', 'OrderWorkflow', 'RegisterUser', 'WatchEvents', 'RelayStatus']),
    );
    expect(operations.every((operation) => operation.name)).toBe(true);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    expect(operations.find((operation) => operation.name?.value === 'WatchEvents')?.operation).toBe(
      'subscription',
    );
  });

  test('the headers editor is valid JSON once its comments go, and names the Authorization header', () => {
    const withoutComments = GRAPHIQL_HEADERS.replace(/^\s*\/\/.*$/gm, '');
    expect(JSON.parse(withoutComments)).toEqual({});
    expect(GRAPHIQL_HEADERS).toMatch(/"Authorization": "Bearer /);
    expect(graphiqlDefaults.defaultQuery).toBe(GRAPHIQL_DOCUMENT);
    expect(JSON.parse(graphiqlDefaults.variables)).toEqual(GRAPHIQL_VARIABLES);
  });
});

describe('the GraphiQL default document against a running service', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ OUTBOX_METRICS_INTERVAL: '0.5', ADMIN_TOKEN });
  });

  afterAll(async () => {
    await testApp?.stop();
  });

  /** Runs one operation of the document, as GraphiQL does: the whole document plus its name. */
  async function run<T>(operationName: string, variables: Record<string, unknown>) {
    const response = await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: GRAPHIQL_DOCUMENT, operationName, variables }),
    });
    const body = (await response.json()) as ExecutionResult<T>;
    expect(body.errors, operationName).toBeUndefined();
    return body.data as T;
  }

  test('the headers editor, its Authorization line uncommented, opens the admin operations', async () => {
    const query = '{ relayControl { paused } }';
    const without = await graphql<{ relayControl: { paused: boolean } }>(testApp.graphqlUrl, query);
    expect(without.errors?.length).toBeGreaterThan(0);
    const edited = GRAPHIQL_HEADERS.replace(/^\s*\/\/ ("Authorization".*)$/m, '$1')
      .replace(/^\s*\/\/.*$/gm, '')
      .replace('<ADMIN_TOKEN>', ADMIN_TOKEN);
    const headers = JSON.parse(edited) as Record<string, string>;
    const withToken = await graphql<{ relayControl: { paused: boolean } }>(
      testApp.graphqlUrl,
      query,
      {},
      headers,
    );
    expect(withToken.errors).toBeUndefined();
    expect(withToken.data?.relayControl.paused).toBe(false);
  });

  test('GraphiQL is served with the document in its editor', async () => {
    const page = await fetch(testApp.graphqlUrl, { headers: { accept: 'text/html' } });
    const html = await page.text();
    // However the page embeds its options (as script text, or as escaped JSON data), these survive as they are.
    for (const name of ['CreatePet', 'OrderWorkflow', 'RegisterUser', 'WatchEvents', 'RelayStatus']) {
      expect(html).toMatch(new RegExp(`(mutation|query|subscription) ${name}\\b`));
    }
    expect(html).toContain('Authorization');
    expect(html).toContain('ADMIN_TOKEN');
  });

  test('every query and mutation runs with the default variables, ids pasted in as the comments say', async () => {
    // The subscription as it stands in the document, alone (sseSubscribe sends no operation name).
    const watchEvents = operations.find((operation) => operation.name?.value === 'WatchEvents');
    if (!watchEvents) throw new Error('no WatchEvents');
    const events = sseSubscribe<{ eventPublished: { eventType: string } }>(
      testApp.graphqlUrl,
      print(watchEvents),
    );
    try {
      type PetResult = { createPet: { __typename: string; pet: { id: string; status: string } } };
      const { createPet } = await run<PetResult>('CreatePet', GRAPHIQL_VARIABLES);
      expect(createPet.__typename).toBe('PetPayload');

      type OrderResult = {
        createOrder: {
          __typename: string;
          order: { id: string; status: string };
          events: { eventType: string }[];
        };
      };
      const { createOrder } = await run<OrderResult>('OrderWorkflow', {
        ...GRAPHIQL_VARIABLES,
        petId: createPet.pet.id,
      });
      expect(createOrder.__typename).toBe('OrderPayload');
      expect(createOrder.order.status).toBe('confirmed');
      expect(createOrder.events.map((event) => event.eventType)).toEqual(
        expect.arrayContaining(['order.created', 'order.confirmed']),
      );

      type DeliverResult = { deliverOrder: { __typename: string; order: { status: string } } };
      const { deliverOrder } = await run<DeliverResult>('DeliverOrder', {
        ...GRAPHIQL_VARIABLES,
        orderId: createOrder.order.id,
      });
      expect(deliverOrder).toMatchObject({ __typename: 'OrderPayload', order: { status: 'delivered' } });

      // A delivered order cannot be cancelled: CancelOrder answers with its typed error.
      type CancelResult = { cancelOrder: { __typename: string } };
      const { cancelOrder } = await run<CancelResult>('CancelOrder', {
        ...GRAPHIQL_VARIABLES,
        orderId: createOrder.order.id,
      });
      expect(cancelOrder.__typename).toBe('InvalidTransitionError');

      type UserResult = { registerUser: { __typename: string; user?: { id: string } } };
      const registered = await run<UserResult>('RegisterUser', GRAPHIQL_VARIABLES);
      expect(registered.registerUser).toMatchObject({ __typename: 'UserPayload', user: { id: 'user_789' } });
      const again = await run<UserResult>('RegisterUser', GRAPHIQL_VARIABLES);
      expect(again.registerUser.__typename).toBe('AlreadyRegisteredError');

      type StatusResult = { outboxMetrics: { running: boolean; serviceStatus: string } };
      const { outboxMetrics } = await run<StatusResult>('RelayStatus', {});
      expect(outboxMetrics.running).toBe(true);

      const seen = await waitFor(
        () => {
          const types = events.received.map((result) => result.eventPublished.eventType);
          return [
            'pet.created',
            'order.created',
            'order.confirmed',
            'order.delivered',
            'user.registered',
          ].every((type) => types.includes(type))
            ? types
            : undefined;
        },
        { timeoutMs: 30_000, what: 'WatchEvents to show the events the operations wrote' },
      );
      expect(seen).toContain('pet.status_changed');
      expect(events.errors).toEqual([]);
    } finally {
      events.stop();
    }
  });
});

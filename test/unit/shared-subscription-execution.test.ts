import { type ExecutionResult, GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { describe, expect, test } from 'vitest';
import { sharedSubscriptionExecution } from '../../src/graphql/shared-subscription-execution.ts';

type Tick = { n: number };

/** Hands every subscriber the same event objects, as the published feed does. */
function createHub() {
  const queues = new Set<{ push(tick: Tick): void; end(): void }>();
  let ended = 0;
  return {
    get open() {
      return queues.size;
    },
    get ended() {
      return ended;
    },
    publish(tick: Tick) {
      for (const queue of queues) queue.push(tick);
    },
    subscribe(): AsyncIterableIterator<Tick> {
      const buffered: Tick[] = [];
      let waiting: ((step: IteratorResult<Tick>) => void) | null = null;
      const queue = {
        push(tick: Tick) {
          if (waiting) {
            waiting({ done: false, value: tick });
            waiting = null;
          } else buffered.push(tick);
        },
        end() {
          queues.delete(queue);
          ended += 1;
          waiting?.({ done: true, value: undefined });
        },
      };
      queues.add(queue);
      const iterator: AsyncIterableIterator<Tick> = {
        next: () => {
          const tick = buffered.shift();
          if (tick) return Promise.resolve({ done: false, value: tick });
          return new Promise((resolve) => {
            waiting = resolve;
          });
        },
        return: () => {
          queue.end();
          return Promise.resolve({ done: true, value: undefined });
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
  };
}

function setUp() {
  const hub = createHub();
  const calls = { label: 0 };
  const Tick = new GraphQLObjectType<Tick>({
    name: 'Tick',
    fields: {
      n: { type: GraphQLInt },
      label: {
        type: GraphQLString,
        args: { prefix: { type: GraphQLString } },
        resolve: (tick, args: { prefix?: string }) => {
          calls.label += 1;
          return `${args.prefix ?? ''}${tick.n}`;
        },
      },
    },
  });
  const subscriptionField = { type: Tick, subscribe: () => hub.subscribe(), resolve: (tick: Tick) => tick };
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: { ticks: subscriptionField, privateTicks: subscriptionField },
    }),
  });
  const yoga = createYoga<Record<string, unknown>, { role?: string }>({
    schema,
    plugins: [
      sharedSubscriptionExecution({ fields: ['ticks'], contextKey: (context) => context.role ?? '' }),
    ],
  });

  async function subscribe(query: string, variables: Record<string, unknown> = {}, role?: string) {
    const enveloped = yoga.getEnveloped({});
    const result = await enveloped.subscribe({
      schema: enveloped.schema,
      document: enveloped.parse(query),
      variableValues: variables,
      contextValue: { ...(await enveloped.contextFactory()), role },
    });
    if (!(Symbol.asyncIterator in result)) throw new Error(`not a stream: ${JSON.stringify(result)}`);
    return result as AsyncIterableIterator<ExecutionResult>;
  }
  return { hub, calls, subscribe };
}

async function take(stream: AsyncIterableIterator<ExecutionResult>, count: number) {
  const results: ExecutionResult[] = [];
  for (let i = 0; i < count; i++) {
    const step = await stream.next();
    if (step.done) break;
    results.push(step.value);
  }
  return results;
}

const QUERY = 'subscription Ticks($prefix: String) { ticks { n label(prefix: $prefix) } }';

describe('shared subscription execution', () => {
  test('subscribers with the same document and variables share one execution per event, and its result', async () => {
    const { hub, calls, subscribe } = setUp();
    const streams = await Promise.all(Array.from({ length: 5 }, () => subscribe(QUERY, { prefix: '#' })));
    const events = [{ n: 1 }, { n: 2 }, { n: 3 }];
    for (const event of events) hub.publish(event);
    const received = await Promise.all(streams.map((stream) => take(stream, events.length)));

    expect(calls.label).toBe(events.length);
    for (const results of received) {
      expect(results.map((result) => result.data)).toEqual([
        { ticks: { n: 1, label: '#1' } },
        { ticks: { n: 2, label: '#2' } },
        { ticks: { n: 3, label: '#3' } },
      ]);
      // The very same objects: the transport can serialise each once.
      for (const [index, result] of results.entries()) expect(result).toBe(received[0]?.[index]);
    }
    await Promise.all(streams.map((stream) => stream.return?.()));
    expect(hub.open).toBe(0);
  });

  test('different variables execute separately; a field not listed executes per subscriber', async () => {
    const { hub, calls, subscribe } = setUp();
    const hashes = await subscribe(QUERY, { prefix: '#' });
    const stars = await subscribe(QUERY, { prefix: '*' });
    const privateA = await subscribe('subscription { privateTicks { label } }');
    const privateB = await subscribe('subscription { privateTicks { label } }');
    hub.publish({ n: 7 });

    expect((await take(hashes, 1))[0]?.data).toEqual({ ticks: { n: 7, label: '#7' } });
    expect((await take(stars, 1))[0]?.data).toEqual({ ticks: { n: 7, label: '*7' } });
    const [a] = await take(privateA, 1);
    const [b] = await take(privateB, 1);
    expect(a?.data).toEqual({ privateTicks: { label: '7' } });
    expect(b?.data).toEqual(a?.data);
    expect(a).not.toBe(b);
    expect(calls.label).toBe(4);
    for (const stream of [hashes, stars, privateA, privateB]) await stream.return?.();
  });

  test('subscribers whose context keys differ never share a result', async () => {
    const { hub, calls, subscribe } = setUp();
    const admins = await Promise.all([subscribe(QUERY, {}, 'admin'), subscribe(QUERY, {}, 'admin')]);
    const anonymous = await subscribe(QUERY, {}, 'anonymous');
    hub.publish({ n: 5 });
    const [first, second] = await Promise.all(admins.map(async (stream) => (await take(stream, 1))[0]));
    const [other] = await take(anonymous, 1);
    expect(first).toBe(second);
    expect(other).not.toBe(first);
    expect(other?.data).toEqual(first?.data);
    expect(calls.label).toBe(2);
    for (const stream of [...admins, anonymous]) await stream.return?.();
  });

  test('unsubscribing ends the source at once, without waiting for another event', async () => {
    const { hub, subscribe } = setUp();
    const stream = await subscribe(QUERY);
    const pending = stream.next();
    await stream.return?.();
    expect(hub.ended).toBe(1);
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});

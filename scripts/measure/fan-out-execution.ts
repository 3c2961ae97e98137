/**
 * What delivering one published event to many subscribers costs the server's CPU in the GraphQL layer,
 * with and without shared execution and serialisation, measured in the same process and run.
 *
 *   npx tsx scripts/measure/fan-out-execution.ts [--subscribers 500] [--events 200] [--rounds 3]
 *
 * The real schema and resolvers run `eventPublished` (the bench's fan-out document) for `--subscribers`
 * subscribers; a stand-in feed hands each of them the same PublishedEvent objects, as the published
 * feed does. Per result, what graphql-ws does to send it is done too: "per subscriber" stringifies
 * every message whole; "shared" stringifies a placeholder and splices in the JSON made once
 * (src/http/shared-payloads.ts). Sockets are left out: their cost is the same either way. The two
 * variants alternate for `--rounds` rounds; CPU time is process.cpuUsage() over delivering all events.
 */
import { parseArgs } from 'node:util';
import type { ExecutionResult } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { AppServices, GraphQLContext } from '../../src/graphql/context.ts';
import { schema } from '../../src/graphql/schema.ts';
import { sharedSubscriptionExecution } from '../../src/graphql/shared-subscription-execution.ts';
import { placeholderFor, withSharedPayload } from '../../src/http/shared-payloads.ts';
import { createLogger } from '../../src/infra/logger.ts';
import type { PublishedEvent } from '../../src/outbox/feed/published-event.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '500' },
    events: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
  },
});
const subscriberCount = Number(values.subscribers);
const eventCount = Number(values.events);
const QUERY = 'subscription FanOut { eventPublished(aggregateType: "pet") { cursor createdAt } }';

/** A feed handing every subscriber the same event objects. */
function createFeed() {
  const sinks = new Set<(event: PublishedEvent) => void>();
  return {
    publish: (event: PublishedEvent) => {
      for (const sink of sinks) sink(event);
    },
    subscribe(): AsyncIterableIterator<PublishedEvent> {
      const buffered: PublishedEvent[] = [];
      let waiting: ((step: IteratorResult<PublishedEvent>) => void) | null = null;
      const sink = (event: PublishedEvent) => {
        if (waiting) {
          const resolve = waiting;
          waiting = null;
          resolve({ done: false, value: event });
        } else buffered.push(event);
      };
      sinks.add(sink);
      const iterator: AsyncIterableIterator<PublishedEvent> = {
        next: () => {
          const event = buffered.shift();
          if (event) return Promise.resolve({ done: false, value: event });
          return new Promise((resolve) => {
            waiting = resolve;
          });
        },
        return: () => {
          sinks.delete(sink);
          waiting?.({ done: true, value: undefined });
          return Promise.resolve({ done: true, value: undefined });
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
  };
}

const event = (n: number): PublishedEvent => ({
  cursor: String(n),
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  aggregateType: 'pet',
  aggregateId: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  aggregateSequence: 1,
  eventType: 'pet.created',
  data: { name: `Pet ${n}`, species: 'cat', price: '12.50' },
  correlationId: null,
  topic: 'petstore.pets',
  partition: 0,
  offset: String(n),
  createdAt: new Date(),
  publishedAt: new Date(),
});

async function run(shared: boolean): Promise<{ cpuMs: number; wallMs: number; messages: number }> {
  const feed = createFeed();
  const app = { publishedFeed: { subscribe: () => feed.subscribe() } } as unknown as AppServices;
  const logger = createLogger({ log: { level: 'silent', format: 'json' }, serviceName: 'measure' });
  const plugins: Plugin<GraphQLContext>[] = shared
    ? [sharedSubscriptionExecution({ fields: ['eventPublished'] })]
    : [];
  const yoga = createYoga<Record<string, never>, GraphQLContext>({
    schema,
    plugins,
    context: () => ({ correlationId: 'measure', logger, app, caller: { admin: false, principal: null } }),
  });
  let messages = 0;
  const done: Promise<void>[] = [];
  for (let i = 0; i < subscriberCount; i++) {
    const enveloped = yoga.getEnveloped({});
    const stream = (await enveloped.subscribe({
      schema: enveloped.schema,
      document: enveloped.parse(QUERY),
      variableValues: {},
      contextValue: await enveloped.contextFactory(),
    })) as AsyncIterableIterator<ExecutionResult>;
    const id = String(i);
    done.push(
      (async () => {
        for (let received = 0; received < eventCount; received++) {
          const step = await stream.next();
          if (step.done) return;
          // graphql-ws's next message, as it is built and stringified for the socket.
          const message = shared
            ? withSharedPayload(JSON.stringify({ id, type: 'next', payload: placeholderFor(step.value) }))
            : JSON.stringify({ id, type: 'next', payload: step.value });
          messages += message.length > 0 ? 1 : 0;
        }
        await stream.return?.();
      })(),
    );
  }
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let n = 1; n <= eventCount; n++) {
    feed.publish(event(n));
    // Let deliveries run between events, as the feed's pages arrive between reads.
    if (n % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(done);
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallBefore, messages };
}

const say = (line: string) => process.stdout.write(`${line}\n`);
say(
  `${subscriberCount} subscribers × ${eventCount} events (one document), ${values.rounds} rounds, alternating`,
);
await run(false); // warm-up: JIT, schema caches
await run(true);
const totals = { perSubscriber: 0, shared: 0 };
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const shared of [false, true]) {
    const result = await run(shared);
    const perDelivery = (result.cpuMs * 1000) / result.messages;
    totals[shared ? 'shared' : 'perSubscriber'] += result.cpuMs;
    say(
      `round ${round} ${shared ? 'shared        ' : 'per subscriber'}: ${result.messages} messages, CPU ${result.cpuMs.toFixed(0)} ms (${perDelivery.toFixed(1)} µs per delivery), wall ${result.wallMs.toFixed(0)} ms`,
    );
  }
}
say(`CPU, shared ÷ per subscriber: ${(totals.shared / totals.perSubscriber).toFixed(2)}`);

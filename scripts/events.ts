/**
 * npm run events: what actually landed on Kafka, readable. Follows the product's topics with a consumer
 * group of its own (random, never committed, so it disturbs no one and leaves nothing behind) and prints
 * each message through decode-message.ts, which reads every message format the relay writes.
 * `npm run events -- --help` lists the options.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { loadConfigOrExit } from '../src/config/load-config-or-exit.ts';
import { createKafka, ensureTopics } from '../src/infra/kafka.ts';
import { allTopics } from '../src/outbox/topics.ts';
import { decodeMessage } from './events/decode-message.ts';
import { EVENTS_USAGE, type EventsOptions, parseEventsOptions } from './events/events-options.ts';
import { formatRecord } from './events/format-record.ts';
import { matchesFilter } from './events/record-filter.ts';

const say = (line: string) => process.stderr.write(`[events] ${line}\n`);

async function follow(options: EventsOptions): Promise<void> {
  const config = loadConfigOrExit();
  const brokers = options.brokers ?? config.kafka.brokers;
  const topics = allTopics(options.prefix ?? config.kafka.topicPrefix);
  // kafkajs's own log lines would mix with the events; its failures reach us as thrown errors.
  const kafka = createKafka({
    config: { kafka: { ...config.kafka, brokers } },
    logger: pino({ level: 'silent' }),
    clientId: 'petstore-events',
  });
  // A consumer cannot subscribe to a topic that does not exist yet (a fresh broker, no event published).
  // The relay creates them the same way (same partition count) when it publishes first.
  await ensureTopics(kafka, topics, config.kafka.topicPartitions);

  const consumer = kafka.consumer({
    groupId: `petstore-events-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 200,
  });
  let printed = 0;
  let stopping: Promise<void> | null = null;
  let idleTimer: NodeJS.Timeout | undefined;
  let finished: (failure?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finished = (failure) => (failure ? reject(failure) : resolve());
  });
  const stop = (reason?: string, failure?: Error) => {
    stopping ??= (async () => {
      clearTimeout(idleTimer);
      if (reason) say(reason);
      await consumer.disconnect();
    })().then(
      () => finished(failure),
      (error: Error) => finished(failure ?? error),
    );
    return stopping;
  };
  const armIdleExit = () => {
    if (options.idleExitMs === null) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(
      () => void stop(`no message for ${options.idleExitMs} ms; ${printed} printed`),
      options.idleExitMs,
    );
  };

  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  consumer.on(consumer.events.GROUP_JOIN, armIdleExit);
  // kafkajs restarts the consumer after retriable failures by itself; anything else ends the run.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) void stop(undefined, payload.error);
  });

  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: options.fromBeginning });
  say(
    `following ${topics.join(', ')} on ${brokers.join(',')} ` +
      `${options.fromBeginning ? 'from the beginning' : 'from now'} (Ctrl-C stops)`,
  );
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      if (stopping) return;
      armIdleExit();
      const record = decodeMessage({ topic, partition, ...message });
      if (!matchesFilter(record, options.filter)) return;
      process.stdout.write(`${formatRecord(record, { compact: options.compact })}\n`);
      printed += 1;
      if (options.max !== null && printed >= options.max) {
        // Not awaited here: disconnect waits for this very callback to return.
        void stop(`printed ${printed} message${printed === 1 ? '' : 's'} (--max)`);
      }
    },
  });
  await done;
}

let options: EventsOptions;
try {
  options = parseEventsOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${EVENTS_USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${EVENTS_USAGE}\n`);
  process.exit(0);
}
// `npm run events | head` closes stdout early; that is a normal way to stop.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
try {
  await follow(options);
  process.exit(0);
} catch (error) {
  say(`${(error as Error).message}`);
  say('is Kafka running? `npm run kafka:status` tells; `npm run kafka:start` starts the local broker');
  process.exit(1);
}

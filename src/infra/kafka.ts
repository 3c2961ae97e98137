import { Kafka, type LogEntry, logLevel, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/env.ts';
import type { Logger } from './logger.ts';

/**
 * The only module that builds kafkajs objects. kafkajs has been looking for maintainers since 2023;
 * keeping it behind this file (and the relay's publish step) keeps a later swap small.
 */

const levelNames: Record<number, string> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Routes kafkajs's own log lines into the service's pino logger, as structured fields, at debug level:
 * during a broker outage kafkajs logs every reconnect attempt as an error, while the relay already
 * reports the outage once per circuit-breaker state change, with context. LOG_LEVEL=debug shows them.
 */
function pinoLogCreator(logger: Logger) {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      kafkaLogger.debug({ kafkaLevel: levelNames[level], ...fields }, message);
    };
}

export function createKafka({
  config,
  logger,
  clientId = config.kafka.clientId,
}: {
  config: Pick<Config, 'kafka'>;
  logger: Logger;
  clientId?: string;
}): Kafka {
  return new Kafka({
    clientId,
    brokers: [...config.kafka.brokers],
    // KAFKA_SSL: TLS with the system's CA store; KAFKA_SASL_*: authentication (over TLS, or the
    // password crosses the network in the clear with PLAIN).
    ssl: config.kafka.ssl,
    ...(config.kafka.sasl ? { sasl: { ...config.kafka.sasl } as SASLOptions } : {}),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    // The relay has its own retry policy and circuit breaker; kafkajs's retries only cover blips.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(logger),
  });
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly string[],
  numPartitions: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: -1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

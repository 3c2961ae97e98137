import { z } from 'zod';
import { MESSAGE_FORMATS } from '../outbox/kafka-message.ts';

/**
 * The service's whole configuration, read from the environment in this one place.
 * Every problem is reported at once, one line per variable, before anything starts.
 */

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message: 'expected a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const seconds = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { message: 'expected a number of seconds, e.g. 1.0' })
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const postgresUrl = z
  .string()
  .trim()
  // The design document's example uses SQLAlchemy's `postgresql+asyncpg://`; the driver suffix means nothing here.
  .transform((value) => value.replace(/^postgres(ql)?\+\w+:\/\//, 'postgresql://'))
  .refine((value) => URL.canParse(value), { message: 'not a URL', abort: true })
  .refine((value) => /^postgres(ql)?:$/.test(new URL(value).protocol), {
    message: 'expected a postgresql:// URL',
    abort: true,
  })
  .refine((value) => new URL(value).pathname.length > 1, { message: 'the URL names no database' });

const brokerList = z
  .string()
  .trim()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
  )
  .refine((brokers) => brokers.length > 0, { message: 'expected at least one host:port', abort: true })
  .refine((brokers) => brokers.every((broker) => /^[\w.-]+:\d{1,5}$/.test(broker)), {
    message: 'expected a comma-separated list of host:port',
  });

const topicPrefix = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9._-]{1,100}$/, {
    message: 'expected letters, digits, ".", "_" or "-" (Kafka topic rules)',
  });

const EnvSchema = z.object({
  DATABASE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/petstore'),
  KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  KAFKA_TOPIC_PREFIX: topicPrefix.default('petstore'),
  KAFKA_CLIENT_ID: z.string().trim().min(1).default('petstore-outbox'),
  KAFKA_TOPIC_PARTITIONS: integer(1, 1000).default(3),
  KAFKA_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  /** How events are laid out on Kafka; see src/outbox/kafka-message.ts. */
  KAFKA_MESSAGE_FORMAT: z.enum(MESSAGE_FORMATS).default('structured'),
  OUTBOX_BATCH_SIZE: integer(1, 10_000).default(100),
  OUTBOX_POLLING_INTERVAL: seconds(0.01, 3600).default(1),
  OUTBOX_MAX_RETRIES: integer(0, 1000).default(5),
  OUTBOX_RETRY_BASE_DELAY: seconds(0.001, 3600).default(0.5),
  OUTBOX_RETRY_MAX_DELAY: seconds(0.001, 86_400).default(60),
  OUTBOX_LEASE_TIMEOUT: seconds(1, 3600).default(30),
  OUTBOX_RETENTION_DAYS: seconds(0, 3650).default(7),
  OUTBOX_RETENTION_INTERVAL: seconds(1, 86_400).default(60),
  OUTBOX_RETENTION_BATCH_SIZE: integer(1, 100_000).default(1000),
  OUTBOX_HEARTBEAT_INTERVAL: seconds(0.1, 3600).default(5),
  /** Dead rows in outbox_events that make a relay run VACUUM (ANALYZE) on it; 0 leaves it to autovacuum. */
  OUTBOX_VACUUM_DEAD_ROWS: integer(0, 100_000_000).default(50_000),
  OUTBOX_RELAY_ENABLED: boolean.default(true),
  /** How often the outbox numbers (Prometheus gauges, outboxMetrics) are read from the database. */
  OUTBOX_METRICS_INTERVAL: seconds(0.1, 3600).default(5),
  PORT: integer(0, 65_535).default(8080),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: boolean.default(false),
  SERVICE_NAME: z.string().trim().min(1).default('petstore-outbox'),
});

function toConfig(env: z.infer<typeof EnvSchema>) {
  return {
    serviceName: env.SERVICE_NAME,
    http: { host: env.HOST, port: env.PORT },
    log: { level: env.LOG_LEVEL, pretty: env.LOG_PRETTY },
    database: { url: env.DATABASE_URL },
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
      compression: env.KAFKA_COMPRESSION,
      messageFormat: env.KAFKA_MESSAGE_FORMAT,
    },
    outbox: {
      relayEnabled: env.OUTBOX_RELAY_ENABLED,
      metricsIntervalMs: Math.round(env.OUTBOX_METRICS_INTERVAL * 1000),
      batchSize: env.OUTBOX_BATCH_SIZE,
      pollingIntervalMs: Math.round(env.OUTBOX_POLLING_INTERVAL * 1000),
      maxRetries: env.OUTBOX_MAX_RETRIES,
      retryBaseDelayMs: Math.round(env.OUTBOX_RETRY_BASE_DELAY * 1000),
      retryMaxDelayMs: Math.round(env.OUTBOX_RETRY_MAX_DELAY * 1000),
      leaseTimeoutMs: Math.round(env.OUTBOX_LEASE_TIMEOUT * 1000),
      retentionMs: Math.round(env.OUTBOX_RETENTION_DAYS * 86_400_000),
      retentionIntervalMs: Math.round(env.OUTBOX_RETENTION_INTERVAL * 1000),
      retentionBatchSize: env.OUTBOX_RETENTION_BATCH_SIZE,
      heartbeatIntervalMs: Math.round(env.OUTBOX_HEARTBEAT_INTERVAL * 1000),
      vacuumDeadRows: env.OUTBOX_VACUUM_DEAD_ROWS,
    },
  };
}

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Empty values count as unset, so `PORT=` in a .env file falls back to the default. */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = EnvSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(environment)');
      const given = env[name];
      return `${name}: ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`;
    });
    throw new ConfigError(problems);
  }
  const config = toConfig(parsed.data);
  if (config.outbox.retryMaxDelayMs < config.outbox.retryBaseDelayMs) {
    throw new ConfigError(['OUTBOX_RETRY_MAX_DELAY: must not be smaller than OUTBOX_RETRY_BASE_DELAY']);
  }
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}

import { z } from 'zod';
import { MESSAGE_FORMATS } from '../outbox/relay/kafka-message.ts';
import { DEFAULT_DATABASE_URL, DEFAULT_KAFKA_BROKER } from './default-urls.ts';

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

/** A list of browser origins (scheme://host[:port]); `*` is refused: it would let any site in. */
const originList = z
  .string()
  .trim()
  .transform((value) =>
    value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .refine(
    (origins) =>
      origins.every((origin) => URL.canParse(origin) && new URL(origin).origin === origin.replace(/\/$/, '')),
    { message: 'expected a comma-separated list of origins such as https://shop.example.com' },
  )
  .transform((origins) => origins.map((origin) => new URL(origin).origin));

/** Variables whose values never appear in error output. */
const SECRET_VARIABLES = new Set(['ADMIN_TOKEN', 'KAFKA_SASL_PASSWORD']);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: postgresUrl.default(DEFAULT_DATABASE_URL),
  KAFKA_BROKERS: brokerList.default([DEFAULT_KAFKA_BROKER]),
  KAFKA_TOPIC_PREFIX: topicPrefix.default('petstore'),
  KAFKA_CLIENT_ID: z.string().trim().min(1).default('petstore-outbox'),
  KAFKA_TOPIC_PARTITIONS: integer(1, 1000).default(3),
  KAFKA_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  /** How events are laid out on Kafka; see src/outbox/relay/kafka-message.ts. */
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
  /** Published events the live feed keeps in memory for its subscribers; one further behind reads from the table. */
  OUTBOX_FEED_MEMORY_EVENTS: integer(1, 1_000_000).default(5000),
  PORT: integer(0, 65_535).default(8080),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** json (one JSON object per line) or pretty (pino-pretty); unset: pretty on a terminal, else json. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** Deprecated alias: true means LOG_FORMAT=pretty, false LOG_FORMAT=json. LOG_FORMAT wins. */
  LOG_PRETTY: boolean.optional(),
  SERVICE_NAME: z.string().trim().min(1).default('petstore-outbox'),
  /** The bearer token of admin operations; unset disables them. Long enough not to be guessed. */
  ADMIN_TOKEN: z.string().trim().min(32, { message: 'must be at least 32 characters' }).optional(),
  /** Browser origins allowed to call the API (CORS) and open WebSockets; unset: same origin only. */
  CORS_ORIGINS: originList.default([]),
  /** Default: on, except with NODE_ENV=production. */
  GRAPHIQL_ENABLED: boolean.optional(),
  /** Default: on, except with NODE_ENV=production. */
  INTROSPECTION_ENABLED: boolean.optional(),
  HTTP_MAX_CONNECTIONS: integer(1, 1_000_000).default(1000),
  HTTP_HEADERS_TIMEOUT: seconds(1, 600).default(10),
  HTTP_REQUEST_TIMEOUT: seconds(1, 3600).default(30),
  WS_MAX_CONNECTIONS: integer(1, 1_000_000).default(500),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: integer(1, 10_000).default(20),
  KAFKA_SSL: boolean.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().trim().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
});

/** What the environment asks for; `auto` is decided by the logger, which knows whether stdout is a terminal. */
function requestedLogFormat(env: z.infer<typeof EnvSchema>): 'auto' | 'json' | 'pretty' {
  if (env.LOG_FORMAT) return env.LOG_FORMAT;
  if (env.LOG_PRETTY !== undefined) return env.LOG_PRETTY ? 'pretty' : 'json';
  return 'auto';
}

function toConfig(env: z.infer<typeof EnvSchema>) {
  const production = env.NODE_ENV === 'production';
  return {
    serviceName: env.SERVICE_NAME,
    production,
    security: {
      adminToken: env.ADMIN_TOKEN ?? null,
      corsOrigins: env.CORS_ORIGINS,
      graphiql: env.GRAPHIQL_ENABLED ?? !production,
      introspection: env.INTROSPECTION_ENABLED ?? !production,
    },
    limits: {
      httpMaxConnections: env.HTTP_MAX_CONNECTIONS,
      headersTimeoutMs: Math.round(env.HTTP_HEADERS_TIMEOUT * 1000),
      requestTimeoutMs: Math.round(env.HTTP_REQUEST_TIMEOUT * 1000),
      wsMaxConnections: env.WS_MAX_CONNECTIONS,
      wsMaxSubscriptionsPerSocket: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
    },
    http: { host: env.HOST, port: env.PORT },
    log: { level: env.LOG_LEVEL, format: requestedLogFormat(env) },
    database: { url: env.DATABASE_URL },
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
      compression: env.KAFKA_COMPRESSION,
      ssl: env.KAFKA_SSL,
      sasl: env.KAFKA_SASL_MECHANISM
        ? {
            mechanism: env.KAFKA_SASL_MECHANISM,
            username: env.KAFKA_SASL_USERNAME ?? '',
            password: env.KAFKA_SASL_PASSWORD ?? '',
          }
        : null,
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
      feedMemoryEvents: env.OUTBOX_FEED_MEMORY_EVENTS,
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
      return `${name}: ${issue.message}${shownValue(name, env[name])}`;
    });
    throw new ConfigError(problems);
  }
  const config = toConfig(parsed.data);
  if (config.outbox.retryMaxDelayMs < config.outbox.retryBaseDelayMs) {
    throw new ConfigError(['OUTBOX_RETRY_MAX_DELAY: must not be smaller than OUTBOX_RETRY_BASE_DELAY']);
  }
  if (
    parsed.data.KAFKA_SASL_MECHANISM &&
    !(parsed.data.KAFKA_SASL_USERNAME && parsed.data.KAFKA_SASL_PASSWORD)
  ) {
    throw new ConfigError(['KAFKA_SASL_MECHANISM: needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD']);
  }
  // Node refuses a headers timeout longer than the request timeout.
  if (config.limits.headersTimeoutMs > config.limits.requestTimeoutMs) {
    throw new ConfigError(['HTTP_HEADERS_TIMEOUT: must not be larger than HTTP_REQUEST_TIMEOUT']);
  }
  return deepFreeze(config);
}

/** What an error message may quote of a variable: never a secret, never a URL's password. */
function shownValue(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (SECRET_VARIABLES.has(name)) return ` (got ${value.length} characters, not shown)`;
  return ` (got ${JSON.stringify(withoutPassword(value))})`;
}

/** `postgresql://app:secret@db/shop` → `postgresql://app:***@db/shop`; anything else unchanged. */
export function withoutPassword(text: string): string {
  return text.replace(/(\b[a-z][\w+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/gi, '$1***@');
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}

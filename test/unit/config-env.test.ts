import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('loadConfig', () => {
  test("applies the design document's defaults", () => {
    const config = loadConfig({});
    expect(config.kafka.topicPrefix).toBe('petstore');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.outbox).toMatchObject({ batchSize: 100, pollingIntervalMs: 1000, maxRetries: 5 });
  });

  test('parses the values it is given', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql+asyncpg://app:secret@db.internal:5433/shop',
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      KAFKA_TOPIC_PREFIX: 'shop',
      OUTBOX_BATCH_SIZE: '250',
      OUTBOX_POLLING_INTERVAL: '0.25',
      OUTBOX_MAX_RETRIES: '3',
      PORT: '9000',
    });
    expect(config.database.url).toBe('postgresql://app:secret@db.internal:5433/shop');
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9093']);
    expect(config.outbox).toMatchObject({ batchSize: 250, pollingIntervalMs: 250, maxRetries: 3 });
    expect(config.http.port).toBe(9000);
    expect(Object.isFrozen(config.outbox)).toBe(true);
  });

  test('KAFKA_MESSAGE_FORMAT: CloudEvents structured unless told otherwise, and only a known format', () => {
    expect(loadConfig({}).kafka.messageFormat).toBe('structured');
    expect(loadConfig({ KAFKA_MESSAGE_FORMAT: 'binary' }).kafka.messageFormat).toBe('binary');
    expect(loadConfig({ KAFKA_MESSAGE_FORMAT: 'compact' }).kafka.messageFormat).toBe('compact');
    expect(() => loadConfig({ KAFKA_MESSAGE_FORMAT: 'xml' })).toThrow(/KAFKA_MESSAGE_FORMAT/);
  });

  test('reports every bad variable, one line each, naming it', () => {
    let error: unknown;
    try {
      loadConfig({
        OUTBOX_BATCH_SIZE: 'abc',
        DATABASE_URL: 'not a url',
        OUTBOX_POLLING_INTERVAL: '-1',
        PORT: '70000',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.find((line) => line.startsWith('OUTBOX_BATCH_SIZE:'))).toContain('"abc"');
    expect(problems.find((line) => line.startsWith('DATABASE_URL:'))).toContain('not a URL');
    expect(problems.some((line) => line.startsWith('OUTBOX_POLLING_INTERVAL:'))).toBe(true);
    expect(problems.some((line) => line.startsWith('PORT:'))).toBe(true);
  });
});

describe('the service with bad configuration', () => {
  test('exits with 78 (EX_CONFIG) at start, one clear line per problem and no stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, OUTBOX_BATCH_SIZE: 'abc', DATABASE_URL: 'mysql://x/y', KAFKA_BROKERS: 'nope' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toMatch(/^ {2}OUTBOX_BATCH_SIZE: expected a whole number \(got "abc"\)$/m);
    expect(result.stderr).toMatch(/^ {2}DATABASE_URL: expected a postgresql:\/\/ URL/m);
    expect(result.stderr).toMatch(/^ {2}KAFKA_BROKERS: /m);
    expect(result.stderr).not.toMatch(/\bat .+\(.+:\d+:\d+\)/); // no stack frames
    expect(result.stdout).toBe('');
  });
});

describe('security settings', () => {
  test('Kafka TLS and SASL, CORS origins and the admin token are read', () => {
    const config = loadConfig({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'relay',
      KAFKA_SASL_PASSWORD: 'pw',
      CORS_ORIGINS: 'https://shop.example.com, http://localhost:3000/',
      ADMIN_TOKEN: 'a'.repeat(32),
    });
    expect(config.kafka).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'relay', password: 'pw' },
    });
    expect(config.security.corsOrigins).toEqual(['https://shop.example.com', 'http://localhost:3000']);
    expect(config.security.adminToken).toBe('a'.repeat(32));
    expect(config.security).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ NODE_ENV: 'production' }).security).toMatchObject({
      graphiql: false,
      introspection: false,
    });
  });

  test.each([
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_MECHANISM'],
    [{ ADMIN_TOKEN: 'too-short' }, 'ADMIN_TOKEN'],
    [{ CORS_ORIGINS: 'https://shop.example.com/path' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ HTTP_HEADERS_TIMEOUT: '60', HTTP_REQUEST_TIMEOUT: '30' }, 'HTTP_HEADERS_TIMEOUT'],
  ])('%o is refused', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(variable);
  });
});

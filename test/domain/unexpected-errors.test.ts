import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect } from 'vitest';
import { type App, buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { REGISTER_USER } from '../support/domain-app.ts';
import { test } from '../support/fixtures.ts';
import { graphql } from '../support/graphql-client.ts';
import { randomTopicPrefix } from '../support/test-app.ts';

/** Every log line the service writes, parsed. */
const logLines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

let app: App;
let url: string;

test.beforeAll(async ({ database }) => {
  const config = loadConfig({
    PORT: '0',
    KAFKA_TOPIC_PREFIX: randomTopicPrefix(),
    OUTBOX_RELAY_ENABLED: 'false',
    DATABASE_URL: database.url,
  });
  app = buildApp({ config, logger: pino({ level: 'info' }, sink) });
  url = `${(await app.start()).url}/graphql`;
});

afterAll(async () => {
  await app?.stop();
});

describe('an unexpected error', () => {
  test('reaches the client masked (no SQL, no stack) and is logged with the correlation id', async () => {
    const prisma = app.services.prisma;
    // A real failure inside the business transaction: the table it writes to is gone.
    await prisma.$executeRawUnsafe('ALTER TABLE users RENAME TO users_moved_away');
    try {
      const response = await graphql(
        url,
        REGISTER_USER,
        { id: 'user_1', input: { name: 'John Doe', email: 'john@example.com', phone: '+1234567890' } },
        { 'x-correlation-id': 'corr-unexpected-1' },
      );
      expect(response.errors).toEqual([
        {
          message: 'Unexpected error.',
          locations: expect.any(Array),
          path: ['registerUser'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ]);
      expect(JSON.stringify(response)).not.toMatch(/users|relation|prisma|at /i);
      expect(response.headers.get('x-correlation-id')).toBe('corr-unexpected-1');

      const logged = logLines.find((line) => line.correlationId === 'corr-unexpected-1' && line.level === 50);
      expect(logged).toMatchObject({
        msg: 'unexpected error (masked for the client)',
        field: 'Mutation.registerUser',
        err: { message: expect.stringMatching(/users/) },
      });
    } finally {
      await prisma.$executeRawUnsafe('ALTER TABLE users_moved_away RENAME TO users');
    }
    expect(await prisma.outboxEvent.count()).toBe(0);
  });

  test('expected failures are typed results and are not logged as errors', async () => {
    const before = logLines.filter((line) => line.level === 50).length;
    const response = await graphql(
      url,
      REGISTER_USER,
      { id: 'not valid!', input: { name: '', email: 'x', phone: '1' } },
      { 'x-correlation-id': 'corr-expected-1' },
    );
    expect(response.errors).toBeUndefined();
    expect((response.data as { registerUser: { __typename: string } }).registerUser.__typename).toBe(
      'ValidationError',
    );
    expect(logLines.filter((line) => line.level === 50)).toHaveLength(before);
  });
});

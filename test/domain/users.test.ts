import pg from 'pg';
import { describe, expect } from 'vitest';
import { ADMIN_HEADERS } from '../support/admin.ts';
import { type DomainApp, expectNothingWritten, REGISTER_USER, type Result } from '../support/domain-app.ts';
import { test } from '../support/fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

let app: DomainApp;

test.beforeAll(({ domainApp }) => {
  app = domainApp;
});

let next = 0;
const uniqueId = () => `user_${Date.now()}_${next++}`;

async function register(id: string, input: Record<string, unknown>): Promise<Result> {
  return (await app.gql(REGISTER_USER, { id, input })).registerUser as Result;
}

describe('registerUser', () => {
  test("the seed's call: writes the user and user.registered (sequence 1); e-mail lower-cased, phone normalised", async () => {
    const before = await app.counts();
    const { registerUser } = await app.gql(
      REGISTER_USER,
      { id: 'user_789', input: { name: 'John Doe', email: ' John@Example.COM ', phone: '+1 234-567-890' } },
      { 'x-correlation-id': 'corr-user-1', ...ADMIN_HEADERS },
    );
    expect(registerUser?.__typename).toBe('UserPayload');
    expect(registerUser?.user).toMatchObject({
      id: 'user_789',
      name: 'John Doe',
      email: 'john@example.com',
      phone: '+1234567890',
    });
    expect(await app.counts()).toMatchObject({ users: before.users + 1, events: before.events + 1 });
    const [event, ...rest] = await app.eventsOf('user', 'user_789');
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      event_type: 'user.registered',
      aggregate_sequence: 1,
      correlation_id: 'corr-user-1',
      topic: `${app.topicPrefix}.users`,
    });
    expect(event?.data).toEqual({
      schemaVersion: 1,
      user: {
        id: 'user_789',
        name: 'John Doe',
        email: 'john@example.com',
        phone: '+1234567890',
        registeredAt: registerUser?.user.registeredAt,
      },
    });
    const { user } = await app.gql('query { user(id: "user_789") { email } }', {}, ADMIN_HEADERS);
    expect(user).toEqual({ email: 'john@example.com' });
    expect((await app.gql('query { user(id: "nobody") { email } }')).user).toBeNull();
  });

  test('an id already registered is an AlreadyRegisteredError, and nothing is written', async () => {
    const id = uniqueId();
    await register(id, { name: 'First', email: `${id}@example.com`, phone: '+441234567890' });
    const result = await expectNothingWritten(app, () =>
      register(id, { name: 'Second', email: `other-${id}@example.com`, phone: '+441234567890' }),
    );
    expect(result).toMatchObject({ __typename: 'AlreadyRegisteredError', userId: id });
  });

  test('an e-mail address taken in any letter case is a DuplicateEmailError, and nothing is written', async () => {
    const email = `${uniqueId()}@example.com`;
    await register(uniqueId(), { name: 'First', email, phone: '+441234567890' });
    const result = await expectNothingWritten(app, () =>
      register(uniqueId(), { name: 'Second', email: email.toUpperCase(), phone: '+441234567890' }),
    );
    expect(result).toMatchObject({ __typename: 'DuplicateEmailError', email });
  });

  test('two registrations racing for one e-mail address: one user, one event, one DuplicateEmailError', async () => {
    for (let round = 0; round < 10; round++) {
      const email = `race-${uniqueId()}@example.com`;
      const before = await app.counts();
      const results = await Promise.all(
        [0, 1, 2].map(() => register(uniqueId(), { name: 'Racer', email, phone: '+441234567890' })),
      );
      expect(results.map((result) => result.__typename).sort()).toEqual([
        'DuplicateEmailError',
        'DuplicateEmailError',
        'UserPayload',
      ]);
      expect(await app.counts()).toMatchObject({ users: before.users + 1, events: before.events + 1 });
    }
  });
});

describe('a registration that passes its checks but loses at the unique index', () => {
  // Another transaction inserts the same e-mail address and has not committed yet: the registration's
  // checks (READ COMMITTED) cannot see it, its insert waits on the index, and fails when the other
  // commits. That database error must still reach the client as the typed DuplicateEmailError.
  test('is a DuplicateEmailError too, and writes nothing', async () => {
    const email = `late-${uniqueId()}@example.com`;
    const other = new pg.Client({ connectionString: app.testApp.database.url });
    const watcher = new pg.Client({ connectionString: app.testApp.database.url });
    await other.connect();
    await watcher.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        "INSERT INTO users (id, name, email, phone) VALUES ($1, 'Other', $2, '+441234567890')",
        [uniqueId(), email],
      );
      const before = await app.counts();
      const pending = register(uniqueId(), { name: 'Late', email, phone: '+441234567890' });
      await waitFor(
        async () => {
          const { rows } = await watcher.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'INSERT%users%'`,
          );
          return rows[0]?.waiting === 1;
        },
        { what: "the registration's insert to wait on the unique index" },
      );
      await other.query('COMMIT');
      expect(await pending).toMatchObject({ __typename: 'DuplicateEmailError', email });
      // Only the other transaction's user; no user.registered event.
      expect(await app.counts()).toMatchObject({ users: before.users + 1, events: before.events });
    } finally {
      await other.end();
      await watcher.end();
    }
  });
});

describe('registerUser refuses bad input with a ValidationError and writes nothing', () => {
  const valid = { name: 'Jane Roe', email: 'jane@example.com', phone: '+1234567890' };

  test.each([
    ['id with a space', 'user 1', {}, ['id']],
    ['id with a slash', 'users/1', {}, ['id']],
    ['over-long id', 'u'.repeat(65), {}, ['id']],
    ['empty name', 'user_ok', { name: '' }, ['input', 'name']],
    ['over-long name', 'user_ok', { name: 'x'.repeat(201) }, ['input', 'name']],
    ['malformed e-mail', 'user_ok', { email: 'john@' }, ['input', 'email']],
    ['e-mail without @', 'user_ok', { email: 'john.example.com' }, ['input', 'email']],
    ['phone without country code', 'user_ok', { phone: '234567890' }, ['input', 'phone']],
    ['phone with letters', 'user_ok', { phone: '+1 234 CALL NOW' }, ['input', 'phone']],
    ['phone too short', 'user_ok', { phone: '+12345' }, ['input', 'phone']],
    ['phone too long', 'user_ok', { phone: '+1234567890123456' }, ['input', 'phone']],
    ['phone starting with 0', 'user_ok', { phone: '+0123456789' }, ['input', 'phone']],
  ])('%s', async (_name, id, change, path) => {
    const result = await expectNothingWritten(app, () => register(id, { ...valid, ...change }));
    expect(result).toMatchObject({ __typename: 'ValidationError', issues: [{ path }] });
  });
});

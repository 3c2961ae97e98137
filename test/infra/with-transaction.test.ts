import pg from 'pg';
import { afterAll, describe, expect } from 'vitest';
import { withTransaction } from '../../src/infra/with-transaction.ts';
import { test } from '../support/fixtures.ts';

/** One connection at most: a transaction that kept its connection would make the next one wait forever. */
let pool: pg.Pool;

test.beforeAll(async ({ database }) => {
  pool = new pg.Pool({ connectionString: database.url, max: 1, connectionTimeoutMillis: 5000 });
  // A connection killed while checked out reports an error; without a listener Node would exit.
  pool.on('connect', (client) => client.on('error', () => {}));
  await pool.query('CREATE TABLE transaction_probe (n int NOT NULL)');
});

afterAll(async () => {
  await pool?.end();
});

const rows = async () =>
  (await pool.query<{ n: number }>('SELECT n FROM transaction_probe ORDER BY n')).rows.map((row) => row.n);

describe('withTransaction(pool, fn)', () => {
  test('commits what fn wrote when it resolves, and returns its value', async () => {
    const value = await withTransaction(pool, async (client) => {
      await client.query('INSERT INTO transaction_probe VALUES (1), (2)');
      return 'done';
    });
    expect(value).toBe('done');
    expect(await rows()).toEqual([1, 2]);
  });

  test("rolls back everything fn wrote when it throws, passes fn's error on, and gives the connection back", async () => {
    const failure = new Error('refused by the business rule');
    await expect(
      withTransaction(pool, async (client) => {
        await client.query('INSERT INTO transaction_probe VALUES (3)');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await rows()).toEqual([1, 2]);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  test('opens the transaction with the statement given', async () => {
    await expect(
      withTransaction(pool, (client) => client.query('INSERT INTO transaction_probe VALUES (4)'), {
        begin: 'BEGIN READ ONLY',
      }),
    ).rejects.toMatchObject({ code: '25006' }); // read_only_sql_transaction
    expect(await rows()).toEqual([1, 2]);
  });

  test('discards a connection that broke during the transaction instead of reusing it', async ({
    database,
  }) => {
    const failure = new Error('the connection went away');
    await expect(
      withTransaction(pool, async (client) => {
        const { rows: me } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await database.db.pool.query('SELECT pg_terminate_backend($1)', [me[0]?.pid]);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(pool.totalCount).toBe(0);
    // The pool's one slot is free again: the next transaction gets a new connection.
    await withTransaction(pool, (client) => client.query('INSERT INTO transaction_probe VALUES (5)'));
    expect(await rows()).toEqual([1, 2, 5]);
  });
});

describe('withTransaction(client, fn)', () => {
  test('runs on the client and leaves it open for its owner', async ({ database }) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await expect(
        withTransaction(client, async (tx) => {
          await tx.query('INSERT INTO transaction_probe VALUES (6)');
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      await withTransaction(client, (tx) => tx.query('INSERT INTO transaction_probe VALUES (7)'));
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    expect(await rows()).toEqual([1, 2, 5, 7]);
  });
});

import pg from 'pg';
import { afterAll, describe, expect } from 'vitest';
import {
  arrayOf,
  executeInOneRoundTrip,
  literalOf,
  type SessionStatement,
} from '../../src/infra/pg-one-round-trip.ts';
import { test } from '../support/fixtures.ts';

let client: pg.Client;

test.beforeAll(async ({ database }) => {
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query('CREATE TABLE round_trip_probe (label text NOT NULL, n int NOT NULL)');
});

afterAll(async () => {
  await client?.end();
});

const INSERT_LABELS: SessionStatement = {
  name: 'round_trip_insert_labels',
  types: ['text[]', 'int'],
  text: `INSERT INTO round_trip_probe (label, n) SELECT label, $2 FROM unnest($1::text[]) AS label
         RETURNING label`,
};

/** Queries the client sent, counted by wrapping its query method. */
function countQueries(of: pg.Client): { readonly sent: number; restore(): void } {
  const original = of.query.bind(of);
  let sent = 0;
  of.query = ((...args: Parameters<pg.Client['query']>) => {
    sent++;
    return (original as (...a: unknown[]) => unknown)(...args);
  }) as pg.Client['query'];
  return {
    get sent() {
      return sent;
    },
    restore: () => {
      of.query = original as pg.Client['query'];
    },
  };
}

describe('executeInOneRoundTrip', () => {
  test('runs BEGIN, the statement and COMMIT as one query, and prepares the statement only once', async () => {
    const queries = countQueries(client);
    try {
      const first = await executeInOneRoundTrip<{ label: string }>(
        client,
        INSERT_LABELS,
        [arrayOf(['a', 'b'], 'text'), literalOf(1, 'int')],
        { before: ['BEGIN'], after: ['COMMIT'] },
      );
      expect(first.rows.map((row) => row.label)).toEqual(['a', 'b']);
      const second = await executeInOneRoundTrip<{ label: string }>(
        client,
        INSERT_LABELS,
        [arrayOf(['c'], 'text'), literalOf(2, 'int')],
        { before: ['BEGIN'], after: ['COMMIT'] },
      );
      expect(second.rows.map((row) => row.label)).toEqual(['c']);
      expect(queries.sent).toBe(2);
    } finally {
      queries.restore();
    }
    const { rows } = await client.query<{ name: string }>(
      `SELECT name FROM pg_prepared_statements WHERE name = $1`,
      [INSERT_LABELS.name],
    );
    expect(rows).toHaveLength(1);
    const { rows: stored } = await client.query<{ label: string; n: number }>(
      `SELECT label, n FROM round_trip_probe WHERE label IN ('a', 'b', 'c') ORDER BY label`,
    );
    expect(stored).toEqual([
      { label: 'a', n: 1 },
      { label: 'b', n: 1 },
      { label: 'c', n: 2 },
    ]);
  });

  test('passes hostile values through unchanged, as data', async () => {
    const hostile = [
      "'); DROP TABLE round_trip_probe; --",
      'back\\slash and \\\\ two',
      'quote \' and "double"',
      '{braces,commas}',
      'NULL',
      'ünïcødé ✓',
    ];
    const { rows } = await executeInOneRoundTrip<{ label: string }>(client, INSERT_LABELS, [
      arrayOf(hostile, 'text'),
      literalOf(3, 'int'),
    ]);
    expect(rows.map((row) => row.label)).toEqual(hostile);
    const { rows: stored } = await client.query<{ label: string }>(
      'SELECT label FROM round_trip_probe WHERE n = 3',
    );
    expect(stored.map((row) => row.label).sort()).toEqual([...hostile].sort());
  });

  test('runs nothing after a failing statement: the COMMIT after it is not reached', async () => {
    await expect(
      executeInOneRoundTrip(
        client,
        INSERT_LABELS,
        [arrayOf(['d'], 'text'), literalOf('not a number', 'int')],
        {
          before: ['BEGIN'],
          after: ['COMMIT'],
        },
      ),
    ).rejects.toThrow(/invalid input syntax for type integer/);
    const { rows: state } = await client
      .query<{ aborted: boolean }>('SELECT 1 AS aborted')
      .catch((error: Error) => ({ rows: [{ aborted: /aborted/.test(error.message) }] }));
    expect(state[0]?.aborted).toBe(true);
    await client.query('ROLLBACK');
    const { rows } = await client.query("SELECT 1 FROM round_trip_probe WHERE label = 'd'");
    expect(rows).toHaveLength(0);
  });

  test('refuses a call whose arguments do not match the statement', async () => {
    await expect(executeInOneRoundTrip(client, INSERT_LABELS, [literalOf(1, 'int')])).rejects.toThrow(
      /takes 2 arguments, not 1/,
    );
  });
});

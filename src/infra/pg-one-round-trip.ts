import pg from 'pg';

/** A statement prepared once per connection and run with EXECUTE; `types` are its parameters' SQL types. */
export type SessionStatement = { name: string; types: readonly string[]; text: string };

/** An argument of EXECUTE: an SQL expression built only by the functions below. */
export type SqlArgument = { readonly sql: string };

/** A scalar value as a typed SQL literal (escaped: the value may come from anywhere). */
export function literalOf(value: string | number | bigint, type: string): SqlArgument {
  return { sql: `${pg.escapeLiteral(String(value))}::${type}` };
}

/** An array of values as a typed SQL array, each element escaped. */
export function arrayOf(values: readonly (string | number | bigint)[], elementType: string): SqlArgument {
  return {
    sql: `ARRAY[${values.map((value) => pg.escapeLiteral(String(value))).join(',')}]::${elementType}[]`,
  };
}

/** The connections (pg clients) that have prepared a statement, by statement name. */
const preparedOn = new WeakMap<object, Set<string>>();

/**
 * Runs the statements `before`, then `statement` with `args`, then the statements `after`, as one
 * simple-protocol query: one round trip where pg's extended protocol takes one per statement
 * (node-pg sends a query only once the previous one has answered). The relay's claim needs BEGIN
 * before it and its mark COMMIT after it, and on a busy machine every round trip costs a wake-up
 * of two processes (latency scenario: about 6 ms to BEGIN and claim four events).
 *
 * The statement is prepared by SQL PREPARE the first time a connection runs it (in the same round
 * trip) and executed by name afterwards, so it is planned as a prepared statement, not parsed and
 * planned every time. Arguments travel as escaped literals (SqlArgument) because EXECUTE in a simple
 * query takes no bound parameters. A prepared statement outlives rolled-back transactions; a
 * connection that failed is discarded by its owner, and its statements with it.
 *
 * Returns the statement's result. If any part fails, PostgreSQL runs nothing after it, and the
 * caller must discard the connection (`release(error)`): whether its PREPARE ran is then unknown.
 */
export async function executeInOneRoundTrip<Row extends pg.QueryResultRow>(
  client: Pick<pg.ClientBase, 'query'>,
  statement: SessionStatement,
  args: readonly SqlArgument[],
  { before = [], after = [] }: { before?: readonly string[]; after?: readonly string[] } = {},
): Promise<pg.QueryResult<Row>> {
  if (args.length !== statement.types.length)
    throw new Error(`${statement.name} takes ${statement.types.length} arguments, not ${args.length}`);
  const known = preparedOn.get(client) ?? new Set<string>();
  const name = pg.escapeIdentifier(statement.name);
  const prepare = known.has(statement.name)
    ? []
    : [`PREPARE ${name}(${statement.types.join(', ')}) AS ${statement.text}`];
  const execute =
    args.length > 0 ? `EXECUTE ${name}(${args.map((arg) => arg.sql).join(', ')})` : `EXECUTE ${name}`;
  const parts = [...prepare, ...before, execute, ...after];
  const results = (await client.query<Row>(parts.join(';\n'))) as unknown as
    | pg.QueryResult<Row>
    | pg.QueryResult<Row>[];
  known.add(statement.name);
  preparedOn.set(client, known);
  const all = Array.isArray(results) ? results : [results];
  const result = all[prepare.length + before.length];
  if (!result) throw new Error(`no result for ${statement.name}`);
  return result;
}

import pg from 'pg';

export type TransactionOptions = {
  /** The statement that opens the transaction, e.g. 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'. */
  begin?: string;
};

/**
 * Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws (the caller gets
 * `fn`'s error). Given a pool, it takes a connection for the transaction and gives it back after; a
 * connection whose ROLLBACK failed is broken and is discarded rather than reused. Given a client, it
 * runs on that client, which stays the caller's.
 */
export async function withTransaction<T>(
  db: pg.Pool | pg.ClientBase,
  fn: (client: pg.ClientBase) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (!(db instanceof pg.Pool)) return inTransaction(db, fn, options);
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    return await inTransaction(client, fn, options, (error) => {
      broken = error;
    });
  } finally {
    client.release(broken);
  }
}

async function inTransaction<T>(
  client: pg.ClientBase,
  fn: (client: pg.ClientBase) => Promise<T>,
  { begin = 'BEGIN' }: TransactionOptions,
  onBroken: (error: Error) => void = () => {},
): Promise<T> {
  await client.query(begin);
  try {
    const value = await fn(client);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    await client.query('ROLLBACK').catch(onBroken);
    throw error;
  }
}

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrate.ts';

/** The server's maintenance database; scratch databases are created beside it and dropped after. */
export const MEASURE_ADMIN_URL =
  process.env.MEASURE_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export type ScratchDatabase = { name: string; url: string; drop(): Promise<void> };

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: MEASURE_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A freshly migrated database of its own for one measurement, so nothing else's rows skew it. */
export async function createScratchDatabase(tag: string): Promise<ScratchDatabase> {
  const name = `measure_${tag}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(MEASURE_ADMIN_URL);
  url.pathname = `/${name}`;
  await applyMigrations({ databaseUrl: url.toString() });
  return {
    name,
    url: url.toString(),
    drop: () =>
      admin((client) =>
        client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

/** A pet.created-sized payload (the real one is about this big). */
export function petPayload(n: number): string {
  return JSON.stringify({
    schemaVersion: 1,
    pet: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      name: 'Buddy',
      species: 'dog',
      breed: 'Golden Retriever',
      age: 3,
      price: '1200.00',
      category: 'friendly',
      description: 'A friendly and energetic dog',
      status: 'available',
      createdAt: new Date().toISOString(),
    },
  });
}

import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Database = {
  /** Business code and GraphQL resolvers use Prisma. */
  prisma: PrismaClient;
  /** The relay's hot path uses SQL Prisma cannot express (SKIP LOCKED, unnest); same pool, same connections. */
  pool: pg.Pool;
  close(): Promise<void>;
};

/** A pg pool of its own, for work that must not wait for (or hold) the connections business code uses. */
export function createPool({
  url,
  maxConnections,
  applicationName = 'petstore-outbox',
}: {
  url: string;
  maxConnections: number;
  applicationName?: string;
}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: maxConnections, application_name: applicationName });
  // An idle client that loses its server must not crash the process; the next query reports the problem.
  pool.on('error', () => {});
  return pool;
}

// NUMERIC and BIGINT come back as strings (pg's default): money and offsets stay exact.
export function createDatabase({
  url,
  maxConnections = 10,
}: {
  url: string;
  maxConnections?: number;
}): Database {
  const pool = createPool({ url, maxConnections });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      if (!pool.ended) await pool.end();
    },
  };
}

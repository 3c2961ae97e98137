import { test as base } from 'vitest';
import { createDatabase, type Database } from '../../src/infra/db.ts';
import { type DomainApp, startDomainApp } from './domain-app.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/** A migrated database of the test file's own, with the service's Prisma client and pg pool on it. */
export type FileDatabase = TestDatabase & { db: Database };

/**
 * The test files' shared setups, each made once per file on first use and torn down after its last
 * test: take them in a test (`async ({ database }) => ...`) or in `test.beforeAll`.
 */
export const test = base.extend<{ database: FileDatabase; domainApp: DomainApp }>({
  database: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixtures this one needs from this pattern
    async ({}, use) => {
      const database = await createTestDatabase();
      const db = createDatabase({ url: database.url });
      try {
        await use({ ...database, db });
      } finally {
        await db.close();
        await database.drop();
      }
    },
    { scope: 'file' },
  ],
  domainApp: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixtures this one needs from this pattern
    async ({}, use) => {
      const app = await startDomainApp();
      try {
        await use(app);
      } finally {
        await app.stop();
      }
    },
    { scope: 'file' },
  ],
});

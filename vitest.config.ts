import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships CommonJS and ESM builds; vitest would load both (ours as ESM, Pothos's as CJS),
    // and graphql refuses types from "another realm". One build for everyone, as under plain Node.
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    projects: [
      {
        // Pure logic: no database, no broker, no browser. `npm run test:unit` runs only these.
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        // Everything on the real PostgreSQL, Kafka broker and Chromium, which the global setup
        // provides. Files run one after another: the machine has two cores shared by PostgreSQL,
        // Kafka and the tests. Isolation is per database and topic.
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          globalSetup: ['test/setup/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships CommonJS and ESM builds; vitest would load both (ours as ESM, Pothos's as CJS),
    // and graphql refuses types from "another realm". One build for everyone, as under plain Node.
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    // Files run one after another: some stop and restart the one Kafka broker, and the machine
    // has two cores shared by PostgreSQL, Kafka and the tests. Isolation is per database and topic.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});

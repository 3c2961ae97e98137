/**
 * The layers' import rules, checked by test/unit/import-graph.test.ts (and by `npx depcruise src`).
 * A rule is a name, why it holds, and the `from` and `to` paths it forbids; add one to the list.
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'domain-not-graphql',
      comment: 'The domain (services, validation, events) must load and run without the schema builder.',
      severity: 'error',
      from: { path: '^src/(modules|domain)/' },
      to: { path: '^src/graphql/' },
    },
    {
      name: 'domain-not-http',
      comment: 'The domain knows no transport.',
      severity: 'error',
      from: { path: '^src/(modules|domain)/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'outbox-not-metrics',
      comment:
        'The outbox publishes a plain status snapshot; Prometheus (src/metrics) reads it, never the reverse.',
      severity: 'error',
      from: { path: '^src/outbox/' },
      to: { path: '^src/metrics/' },
    },
    {
      name: 'outbox-not-transport',
      comment: 'The outbox library runs without GraphQL, HTTP or the service that composes it.',
      severity: 'error',
      from: { path: '^src/(outbox|outbox-service)/' },
      to: { path: '^src/(graphql|http)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes load order matter and the layers unreadable.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    // Type-only imports count: a type from another layer couples the two just as well.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
  },
};

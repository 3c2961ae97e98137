import type { KafkaInUse, PostgresInUse } from './services.ts';

const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** host:port/database of a PostgreSQL URL: never its user or password. */
export function describeDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

function postgresLine(postgres: PostgresInUse): string {
  const where = describeDatabaseUrl(postgres.url);
  switch (postgres.origin) {
    case 'configured':
      return `${where}, from DATABASE_URL (yours: its logs are wherever you run it)`;
    case 'found-running':
      return `${where}, found running (not started by this project: its logs are the server's own)`;
    case 'embedded-running':
    case 'embedded-started':
      return (
        `${where}, the embedded PostgreSQL ${postgres.origin === 'embedded-started' ? 'started now' : 'already running'}; ` +
        `log ${postgres.log}; stop it with npm run db:stop`
      );
  }
}

function kafkaLine(kafka: KafkaInUse): string {
  const details = [kafka.version && `Kafka ${kafka.version}`, kafka.pid && `pid ${kafka.pid}`].filter(
    Boolean,
  );
  const owned = details.length > 0 ? ` (${details.join(', ')})` : '';
  switch (kafka.origin) {
    case 'configured':
      return `${kafka.brokers}, from KAFKA_BROKERS (yours: its logs are wherever you run it)`;
    case 'found-running':
      return (
        `${kafka.brokers}, found running, not started from this checkout (its log: .kafka/data/server.log ` +
        'in the checkout that ran npm run kafka:start, or docker compose logs kafka)'
      );
    case 'project-running':
    case 'project-started':
      return (
        `${kafka.brokers}, the project's broker${owned} ${kafka.origin === 'project-started' ? 'started now' : 'already running'}; ` +
        `log ${kafka.log}; stop it with npm run kafka:stop`
      );
  }
}

/**
 * What `npm start` prints once the service listens: where to look, what runs underneath, how to stop.
 * `baseUrl` is null when the port is chosen at start (PORT=0): the service's ready line then has it.
 */
export function formatStartBanner({
  baseUrl,
  postgres,
  kafka,
  graphiql = true,
  adminToken = false,
}: {
  baseUrl: string | null;
  postgres: PostgresInUse;
  kafka: KafkaInUse;
  /** GraphiQL is served (GRAPHIQL_ENABLED, off by default with NODE_ENV=production). */
  graphiql?: boolean;
  /** ADMIN_TOKEN is set, so the admin operations (pause, replay) are open to its holder. */
  adminToken?: boolean;
}): string {
  const url = (path: string) => (baseUrl ? `${baseUrl}${path}` : `<the URL in the ready line>${path}`);
  const rows: [string, string][] = [
    [
      'GraphiQL',
      graphiql
        ? `${url('/graphql')}  (opens with ready-made operations: CreatePet, OrderWorkflow, …)`
        : `off (GRAPHIQL_ENABLED=true turns it on); the API is at ${url('/graphql')}`,
    ],
    ['Dashboard', url('/')],
    [
      'Admin',
      adminToken
        ? 'pauseRelay, replayFailedEvents…: send "Authorization: Bearer <ADMIN_TOKEN>" (GraphiQL: Headers)'
        : 'pauseRelay, replayFailedEvents… are off until ADMIN_TOKEN is set (32+ characters)',
    ],
    ['Metrics', url('/metrics')],
    ['PostgreSQL', postgresLine(postgres)],
    ['Kafka', kafkaLine(kafka)],
    ['Sample data', `npm run demo${baseUrl === DEFAULT_BASE_URL ? '' : ` -- --url ${url('')}`}`],
    ['On Kafka', 'npm run events -- --from-beginning'],
    ['Tables', 'npm run studio  (Prisma Studio on the same database)'],
    ['Stop', 'Ctrl-C stops the service; PostgreSQL and Kafka keep running for the next start'],
    ['', stopHint(postgres, kafka)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const rule = '─'.repeat(72);
  return [
    rule,
    ' petstore-outbox is running',
    ...rows.map(([label, text]) => ` ${label.padEnd(width)}  ${text}`),
    rule,
  ]
    .map((line) => `${line}\n`)
    .join('');
}

function stopHint(postgres: PostgresInUse, kafka: KafkaInUse): string {
  const commands = [
    postgres.origin.startsWith('embedded') ? 'npm run db:stop' : null,
    kafka.origin.startsWith('project') ? 'npm run kafka:stop' : null,
  ].filter(Boolean);
  return commands.length > 0
    ? `(${commands.join(', ')} stop${commands.length === 1 ? 's' : ''} what the project started)`
    : '(neither was started from this checkout)';
}

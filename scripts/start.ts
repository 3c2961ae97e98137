/**
 * npm start: everything a fresh clone needs, then the service. Generates Prisma Client, makes sure
 * PostgreSQL and Kafka answer (starting the project's own when none is configured), migrates, starts the
 * GraphQL server with its relay, and prints a banner: where to look, what runs underneath, how to stop.
 * Set DATABASE_URL / KAFKA_BROKERS to use your own.
 */
import { loadConfigOrExit } from '../src/config/load-config-or-exit.ts';
import { ensurePrismaClient } from './lib/prisma-client.ts';
import { ensureKafkaInUse, ensurePostgresInUse, migrate } from './lib/services.ts';
import { formatStartBanner } from './lib/start-banner.ts';

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

if (ensurePrismaClient()) say('generated Prisma Client');
const postgres = await ensurePostgresInUse(process.env.DATABASE_URL, say);
process.env.DATABASE_URL = postgres.url;
const kafka = await ensureKafkaInUse(process.env.KAFKA_BROKERS, say);
process.env.KAFKA_BROKERS = kafka.brokers;
await migrate(postgres.url, say);

const { http, security } = loadConfigOrExit();
try {
  // Imported only now: the service imports the generated client, which may not have existed a moment ago.
  await import('../src/main.ts');
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    say(
      `${http.host}:${http.port} is already taken (another npm start?). Stop that process ` +
        `(\`ss -ltnp 'sport = :${http.port}'\` names it), or start on another port: PORT=${http.port + 1} npm start`,
    );
    process.exit(1);
  }
  throw error;
}
const host = ['0.0.0.0', '::'].includes(http.host) ? '127.0.0.1' : http.host;
const baseUrl = http.port === 0 ? null : `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
process.stderr.write(
  formatStartBanner({
    baseUrl,
    postgres,
    kafka,
    graphiql: security.graphiql,
    adminToken: security.adminToken !== null,
  }),
);

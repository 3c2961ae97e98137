/**
 * npm start: everything a fresh clone needs, then the service. Generates Prisma Client, makes sure
 * PostgreSQL and Kafka answer (starting the project's own when none is configured), migrates, and
 * starts the GraphQL server with its relay. Set DATABASE_URL / KAFKA_BROKERS to use your own.
 */
import { ensureGraphiQLAssets } from './lib/graphiql-assets.ts';
import { ensurePrismaClient } from './lib/prisma-client.ts';
import { ensureKafka, ensurePostgres, migrate } from './lib/services.ts';

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

if (ensurePrismaClient()) say('generated Prisma Client');
if (ensureGraphiQLAssets()) say("extracted GraphiQL's files");
process.env.DATABASE_URL = await ensurePostgres(process.env.DATABASE_URL, say);
process.env.KAFKA_BROKERS = await ensureKafka(process.env.KAFKA_BROKERS, say);
await migrate(process.env.DATABASE_URL, say);
// Imported only now: the service imports the generated client, which may not have existed a moment ago.
await import('../src/main.ts');

/**
 * npm start: everything a fresh clone needs, then the service. Generates Prisma Client, makes sure
 * PostgreSQL and Kafka answer (starting the project's own when none is configured), migrates, builds
 * dist/ when older than the sources, and runs the GraphQL server with its relay on plain node.
 * Set DATABASE_URL / KAFKA_BROKERS to use your own.
 */
import { spawn } from 'node:child_process';
import { DIST_DIR, ensureBuild } from './lib/build.ts';
import { ensureGraphiQLAssets } from './lib/graphiql-assets.ts';
import { ensurePrismaClient } from './lib/prisma-client.ts';
import { ensureKafka, ensurePostgres, migrate } from './lib/services.ts';

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

if (ensurePrismaClient()) say('generated Prisma Client');
if (ensureGraphiQLAssets()) say("extracted GraphiQL's files");
process.env.DATABASE_URL = await ensurePostgres(process.env.DATABASE_URL, say);
process.env.KAFKA_BROKERS = await ensureKafka(process.env.KAFKA_BROKERS, say);
await migrate(process.env.DATABASE_URL, say);
ensureBuild(say);
// A process group of its own: Ctrl-C reaches this process only, which passes each signal on once
// (the service takes a second one as "exit now").
const service = spawn(process.execPath, [`${DIST_DIR}main.js`], {
  stdio: 'inherit',
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => service.kill(signal));
service.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

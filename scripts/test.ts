/**
 * npm test: generates Prisma Client, makes sure PostgreSQL and the Kafka broker answer (starting the
 * project's own when none is configured), then runs vitest with any arguments given
 * (`npm test -- test/outbox`). The per-run template database is made by test/setup/global-setup.ts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensurePrismaClient } from './lib/prisma-client.ts';
import { ensureKafka, ensurePostgres } from './lib/services.ts';

const say = (line: string) => process.stderr.write(`[test] ${line}\n`);
const repoRoot = fileURLToPath(new URL('../', import.meta.url));

if (ensurePrismaClient()) say('generated Prisma Client');
const databaseUrl = await ensurePostgres(process.env.TEST_DATABASE_URL, say);
const kafkaBrokers = await ensureKafka(process.env.KAFKA_BROKERS, say);

const adminUrl = new URL(databaseUrl);
adminUrl.pathname = '/postgres';
const vitest = spawn(
  process.execPath,
  [`${repoRoot}node_modules/vitest/vitest.mjs`, 'run', ...process.argv.slice(2)],
  {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, TEST_DATABASE_URL: adminUrl.toString(), KAFKA_BROKERS: kafkaBrokers },
  },
);
vitest.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

/**
 * npm start: everything a fresh clone needs, then the service. Generates Prisma Client, makes sure
 * PostgreSQL and Kafka answer (starting the project's own when none is configured), migrates, builds
 * dist/ when older than the sources, runs the GraphQL server with its relay on plain node, and prints a
 * banner once it answers: where to look, what runs underneath, how to stop.
 * Set DATABASE_URL / KAFKA_BROKERS to use your own.
 */
import { spawn } from 'node:child_process';
import { loadConfigOrExit } from '../src/config/load-config-or-exit.ts';
import { DIST_DIR, ensureBuild } from './lib/build.ts';
import { ensureGraphiQLAssets } from './lib/graphiql-assets.ts';
import { portInUse } from './lib/port-in-use.ts';
import { ensurePrismaClient } from './lib/prisma-client.ts';
import { SERVICE_NODE_FLAGS } from './lib/service-node-flags.ts';
import { ensureKafkaInUse, ensurePostgresInUse, migrate } from './lib/services.ts';
import { formatStartBanner } from './lib/start-banner.ts';

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

if (ensurePrismaClient()) say('generated Prisma Client');
if (ensureGraphiQLAssets()) say("extracted GraphiQL's files");
const postgres = await ensurePostgresInUse(process.env.DATABASE_URL, say);
process.env.DATABASE_URL = postgres.url;
const kafka = await ensureKafkaInUse(process.env.KAFKA_BROKERS, say);
process.env.KAFKA_BROKERS = kafka.brokers;
await migrate(postgres.url, say);
ensureBuild(say);

const { http, security } = loadConfigOrExit();
const host = ['0.0.0.0', '::'].includes(http.host) ? '127.0.0.1' : http.host;
const baseUrl = http.port === 0 ? null : `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
if (http.port !== 0 && (await portInUse(host, http.port))) {
  say(
    `${http.host}:${http.port} is already taken (another npm start?). Stop that process ` +
      `(\`ss -ltnp 'sport = :${http.port}'\` names it), or start on another port: PORT=${http.port + 1} npm start`,
  );
  process.exit(1);
}

// A process group of its own: Ctrl-C reaches this process only, which passes each signal on once
// (the service takes a second one as "exit now").
const service = spawn(process.execPath, [...SERVICE_NODE_FLAGS, `${DIST_DIR}main.js`], {
  stdio: 'inherit',
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => service.kill(signal));
let exited = false;
service.on('exit', (code, signal) => {
  exited = true;
  process.exit(code ?? (signal ? 1 : 0));
});

/** The banner, once the service answers on its port (it may take a few seconds to connect). */
async function printBannerWhenReady(): Promise<void> {
  if (baseUrl === null) return;
  for (let waited = 0; waited < 60_000 && !exited; waited += 200) {
    const answers = await fetch(`${baseUrl}/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (answers) {
      process.stderr.write(
        formatStartBanner({
          baseUrl,
          postgres,
          kafka,
          graphiql: security.graphiql,
          adminToken: security.adminToken !== null,
        }),
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
await printBannerWhenReady();

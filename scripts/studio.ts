/**
 * npm run studio: Prisma Studio on the database the service uses (see service-database-url.ts), on
 * 127.0.0.1 only (Prisma Studio binds there), without opening a browser: it prints the address.
 *   npm run studio -- [--port <port>] [--open]
 * The port defaults to Studio's usual 5555, or a free one when 5555 is taken.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { freePort } from './lib/free-port.ts';
import { portInUse } from './lib/port-in-use.ts';
import { prismaCliEnvironment, prismaCliPath } from './lib/prisma-client.ts';
import { serviceDatabaseUrl } from './lib/service-database-url.ts';
import { describeDatabaseUrl } from './lib/start-banner.ts';

const say = (line: string) => process.stderr.write(`[studio] ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { port: { type: 'string' }, open: { type: 'boolean', default: false } },
  });
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) {
    say(`--port expects a port number, got ${JSON.stringify(values.port)}`);
    return 2;
  }
  const { url, problem } = await serviceDatabaseUrl();
  if (problem) {
    say(`no PostgreSQL answers at ${describeDatabaseUrl(url)}: ${problem}`);
    return 1;
  }
  const port = values.port ?? String((await portInUse('127.0.0.1', 5555)) ? await freePort() : 5555);
  say(`Prisma Studio on ${describeDatabaseUrl(url)}; Ctrl-C stops it`);
  // The URL goes in the environment (prisma.config.ts reads DATABASE_URL), not on a command line every
  // user of the machine can read in `ps`.
  const studio = spawn(
    process.execPath,
    [prismaCliPath, 'studio', '--port', port, ...(values.open ? [] : ['--browser', 'none'])],
    { stdio: 'inherit', env: { ...prismaCliEnvironment(), DATABASE_URL: url } },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => studio.kill(signal));
  return new Promise((resolve) => studio.on('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1))));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);

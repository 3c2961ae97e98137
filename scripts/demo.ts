/**
 * npm run demo: the design document's usage scenarios through the GraphQL API of a running service,
 * printed step by step, so GraphiQL, the dashboard, Prisma Studio and `npm run events` have something to
 * show. Safe to run any number of times. `npm run demo -- --help` lists the options.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config/load-config-or-exit.ts';
import { countPublished, runDemoScenario } from './demo/demo-scenario.ts';
import { createGraphQLClient } from './demo/graphql-client.ts';

const USAGE = `usage: npm run demo -- [--url <url>] [--wait <ms>]

  --url <url>    the service's GraphQL endpoint or base URL (default: http://HOST:PORT/graphql, as the
                 service reads HOST and PORT)
  --wait <ms>    how long to wait for the relay to publish the demo's events (default 15000; 0: do not wait)
  -h, --help     this text`;

/** The URL the service itself listens on, per its configuration; a wildcard host is reached on loopback. */
function defaultEndpoint(): string {
  const { http } = loadConfigOrExit();
  const host = ['0.0.0.0', '::', '[::]'].includes(http.host) ? '127.0.0.1' : http.host;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${http.port}/graphql`;
}

/** Accepts the base URL (http://127.0.0.1:8080) or the endpoint itself. */
function endpointFrom(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`--url must be http(s), got ${raw}`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url.toString();
}

function parseOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      url: { type: 'string' },
      wait: { type: 'string', default: '15000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (!/^\d{1,7}$/.test(values.wait)) throw new Error(`--wait expects milliseconds, got ${values.wait}`);
  return { url: values.url, waitMs: Number(values.wait), help: values.help };
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  let endpoint: string;
  try {
    options = parseOptions(process.argv.slice(2));
    endpoint = options.url ? endpointFrom(options.url) : defaultEndpoint();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    say(USAGE);
    return 0;
  }
  const graphql = createGraphQLClient(endpoint);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  say(`demo run ${runId} against ${endpoint}`);
  const run = await runDemoScenario({ graphql, runId, say });
  say(`${run.events.length} events written to the outbox, in the same transactions as the changes`);

  if (options.waitMs > 0) {
    const deadline = Date.now() + options.waitMs;
    let published = await countPublished(graphql, run);
    while (published < run.events.length && Date.now() < deadline) {
      await sleep(250);
      published = await countPublished(graphql, run);
    }
    say(
      published === run.events.length
        ? `all ${published} published to Kafka by the relay`
        : `${published} of ${run.events.length} published so far (is the relay running? see outboxMetrics)`,
    );
  }
  const base = endpoint.replace(/\/graphql$/, '');
  say('');
  say('see them:');
  say(`  on Kafka      npm run events -- --from-beginning --type 'order.*'`);
  say(
    `  in the outbox ${endpoint} → { outboxEvents(aggregateId: "${run.deliveredOrderId}") { edges { node { eventType status } } } }`,
  );
  say(`  live          ${base}/ (dashboard)`);
  say('  in the tables npm run studio');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

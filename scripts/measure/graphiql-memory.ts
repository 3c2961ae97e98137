/**
 * What opening GraphiQL costs the server in memory.
 *
 *   npx tsx scripts/measure/graphiql-memory.ts [--entry src/main.ts|dist/main.js] [--opens 5]
 *
 * Starts the server (`--entry`: a .ts file runs through tsx, a .js file on plain node) against a scratch
 * database with the relay off, lets it settle, reads its RSS (/proc VmRSS), then "opens GraphiQL" the
 * way a browser with an empty cache does: the page from /graphql, then every script, stylesheet,
 * worker and icon it names (gzip accepted). RSS is read again after the first opening and after
 * `--opens` more. For reference, in the same run: what the former approach (importing
 * @graphql-yoga/render-graphiql and rendering its inlined page once) adds to a bare node process.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentRssBytes } from '../../bench/infra/process-memory.ts';
import { createScratchDatabase } from './scratch-database.ts';

const { values } = parseArgs({
  options: {
    entry: { type: 'string', default: 'src/main.ts' },
    opens: { type: 'string', default: '5' },
  },
});
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const say = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function referenceGrowth(): number {
  const script = `
    const before = process.memoryUsage().rss;
    const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
    const html = renderGraphiQL({ title: 'reference' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    process.stdout.write(String(process.memoryUsage().rss - before) + ' ' + html.length);`;
  // Through tsx when the server runs through it, as the former server loaded the module.
  const [growth, pageLength] = execFileSync(process.execPath, [...tsx, '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  }).split(' ');
  say(
    `reference: importing render-graphiql + one inlined page (${mb(Number(pageLength))}): +${mb(Number(growth))}`,
  );
  return Number(growth);
}

const tsx = values.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];

async function startServer(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...tsx, values.entry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      OUTBOX_RELAY_ENABLED: 'false',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"graphiql":"([^"]+)"/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${output}`)));
  });
  return { child, url };
}

/** The page and everything it names, as a browser with an empty cache fetches them. */
async function openGraphiQL(graphqlUrl: string): Promise<number> {
  const page = await (await fetch(graphqlUrl, { headers: { accept: 'text/html' } })).text();
  const origin = new URL(graphqlUrl).origin;
  const paths = new Set([...page.matchAll(/\/graphiql\/[\w.-]+/g)].map((match) => match[0]));
  let bytes = page.length;
  for (const path of paths) {
    const response = await fetch(`${origin}${path}`, { headers: { 'accept-encoding': 'gzip' } });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    bytes += (await response.arrayBuffer()).byteLength;
  }
  return bytes;
}

const reference = referenceGrowth();
const scratch = await createScratchDatabase('graphiql');
let child: ChildProcess | undefined;
try {
  const server = await startServer(scratch.url);
  child = server.child;
  const url = server.url;
  const pid = child.pid as number;
  await sleep(3000);
  const idle = currentRssBytes(pid) ?? 0;
  const bytes = await openGraphiQL(url);
  await sleep(2000);
  const afterOne = currentRssBytes(pid) ?? 0;
  for (let i = 0; i < Number(values.opens); i++) await openGraphiQL(url);
  await sleep(2000);
  const afterMore = currentRssBytes(pid) ?? 0;
  say(`server (${values.entry}) idle: ${mb(idle)}`);
  say(
    `after opening GraphiQL once (${mb(bytes)} decoded from the wire): ${mb(afterOne)} (+${mb(afterOne - idle)})`,
  );
  say(`after ${values.opens} more openings: ${mb(afterMore)} (+${mb(afterMore - idle)} over idle)`);
  say(`growth after one opening / reference growth: ${((afterOne - idle) / reference).toFixed(2)}`);
} finally {
  if (child?.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await scratch.drop();
}

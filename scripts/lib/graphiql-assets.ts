import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGraphiQLManifest } from '../../src/http/graphiql-manifest.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

function installedRenderGraphiqlVersion(): string {
  const file = join(dirname(require.resolve('@graphql-yoga/render-graphiql')), '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * Extracts GraphiQL's browser files into src/generated/graphiql/ when missing or taken from another
 * version of @graphql-yoga/render-graphiql. Runs in a child process: the caller may go on to become
 * the server, which should not keep the 80 MB the bundled module takes once imported.
 */
export function ensureGraphiQLAssets({ force = false }: { force?: boolean } = {}): boolean {
  const manifest = readGraphiQLManifest();
  if (!force && manifest?.renderGraphiqlVersion === installedRenderGraphiqlVersion()) return false;
  execFileSync(
    process.execPath,
    [`${repoRoot}node_modules/tsx/dist/cli.mjs`, `${repoRoot}scripts/extract-graphiql-assets.ts`],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return true;
}

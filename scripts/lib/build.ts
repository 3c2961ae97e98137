import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureGraphiQLAssets } from './graphiql-assets.ts';
import { ensurePrismaClient } from './prisma-client.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const DIST_DIR = `${repoRoot}dist/`;
/** Written last by a successful build: its time is the build's. */
const BUILT_MARKER = `${DIST_DIR}.built`;

/** The newest modification time among the files a build reads. */
function newestSourceMtime(): number {
  let newest = statSync(`${repoRoot}tsconfig.build.json`).mtimeMs;
  newest = Math.max(newest, statSync(`${repoRoot}tsconfig.json`).mtimeMs);
  for (const entry of readdirSync(`${repoRoot}src`, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Compiles src/ (generated Prisma Client included) into dist/ with tsc, which rewrites the `.ts` import
 * extensions to `.js`, and copies GraphiQL's files beside it. dist/ mirrors src/ one level below the
 * repository root, so paths the code takes relative to itself (public/, prisma/migrations/) hold in both.
 */
export function build(say: (line: string) => void = () => {}): void {
  if (ensurePrismaClient()) say('generated Prisma Client');
  if (ensureGraphiQLAssets()) say("extracted GraphiQL's files");
  rmSync(DIST_DIR, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [`${repoRoot}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );
  cpSync(`${repoRoot}src/generated/graphiql`, `${DIST_DIR}generated/graphiql`, { recursive: true });
  writeFileSync(BUILT_MARKER, `${new Date().toISOString()}\n`);
}

/** Builds when dist/ is missing or older than any source file; true when it built. */
export function ensureBuild(say: (line: string) => void = () => {}): boolean {
  if (existsSync(BUILT_MARKER) && statSync(BUILT_MARKER).mtimeMs >= newestSourceMtime()) return false;
  say('compiling src/ into dist/ (tsc; half a minute or so)');
  build(say);
  return true;
}

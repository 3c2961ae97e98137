import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const prismaCliPath = `${repoRoot}node_modules/prisma/build/index.js`;
const schemaPath = `${repoRoot}prisma/schema.prisma`;
const generatedClient = `${repoRoot}src/generated/prisma/client.ts`;
const enginesDir = `${repoRoot}node_modules/@prisma/engines`;

/**
 * `prisma generate` and `prisma studio` never run Prisma's schema engine, but the CLI insists on downloading it first,
 * which fails on machines that reach only the npm registry. Naming any existing file as the engine
 * satisfies that check; where the engine was downloaded, or the variable is set, nothing changes.
 */
export function prismaCliEnvironment(): NodeJS.ProcessEnv {
  const engineDownloaded =
    existsSync(enginesDir) && readdirSync(enginesDir).some((name) => name.startsWith('schema-engine'));
  if (process.env.PRISMA_SCHEMA_ENGINE_BINARY || engineDownloaded) return process.env;
  return { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: schemaPath };
}

/** Generates Prisma Client (and the Pothos types) when missing or older than the schema. */
export function ensurePrismaClient({ force = false }: { force?: boolean } = {}): boolean {
  const stale =
    force || !existsSync(generatedClient) || statSync(generatedClient).mtimeMs < statSync(schemaPath).mtimeMs;
  if (!stale) return false;
  execFileSync(process.execPath, [prismaCliPath, 'generate'], {
    cwd: repoRoot,
    env: prismaCliEnvironment(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return true;
}

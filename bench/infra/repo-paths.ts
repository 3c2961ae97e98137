import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The service as `npm run serve` runs it: the production build on plain node (bench/run.ts builds it). */
export const SERVER_ENTRY = `${REPO_ROOT}dist/main.js`;

/**
 * A relay without the API (`npm run relay`). Until that entry exists, an extra relay instance is one
 * more service process: same relay code, plus an idle API.
 */
export function relayEntry(): { entry: string; standalone: boolean } {
  const standalone = `${REPO_ROOT}dist/relay-main.js`;
  return existsSync(standalone)
    ? { entry: standalone, standalone: true }
    : { entry: SERVER_ENTRY, standalone: false };
}

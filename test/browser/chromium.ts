import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { ensureChromium } from '../../scripts/lib/chromium.ts';

/** Installing Chromium on first use takes a minute or two; the hook that launches it may take this long. */
export const CHROMIUM_SETUP_TIMEOUT_MS = 600_000;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a profile of its own, thrown away by `close()`. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  // Never skipped: a machine without Chromium gets it installed, or the test fails saying what to install.
  const executablePath = await ensureChromium((line) => process.stderr.write(`[test] ${line}\n`));
  const profile = await mkdtemp(join(tmpdir(), 'petstore-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

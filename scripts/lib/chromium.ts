import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Debian's Chromium; never a browser downloaded by a test tool (this machine kind cannot reach one). */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
const PACKAGE = 'chromium';

async function commandExists(command: string): Promise<boolean> {
  try {
    await execFileAsync('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of a Chromium to drive. When it is missing and we may install packages (root, with apt-get),
 * installs Debian's `chromium`; otherwise fails with what to install. CHROMIUM_PATH names another
 * browser binary, which is then never installed over.
 */
export async function ensureChromium(say: (line: string) => void = () => {}): Promise<string> {
  const wanted = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
  if (existsSync(wanted)) return wanted;
  const missing = `no Chromium at ${wanted}`;
  if (process.env.CHROMIUM_PATH)
    throw new Error(`${missing} (CHROMIUM_PATH): install it or unset CHROMIUM_PATH`);
  if (process.getuid?.() !== 0 || !(await commandExists('apt-get'))) {
    throw new Error(
      `${missing}: the browser tests need Debian's "${PACKAGE}" package. Install it ` +
        `(sudo apt-get install -y ${PACKAGE}), or set CHROMIUM_PATH to a Chromium binary.`,
    );
  }
  say(`${missing}; installing Debian's "${PACKAGE}" package (apt-get, about a minute)`);
  // Wait for a dpkg lock held by another install instead of failing at once.
  const apt = (args: string[]) =>
    execFileAsync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
    });
  try {
    await apt(['update', '-qq']);
    await apt(['install', '-y', '-qq', '--no-install-recommends', PACKAGE]);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`installing "${PACKAGE}" with apt-get failed: ${(e.stderr || e.message).trim()}`);
  }
  if (!existsSync(wanted)) throw new Error(`apt-get installed "${PACKAGE}", but ${wanted} is still missing`);
  say(`installed Chromium at ${wanted}`);
  return wanted;
}

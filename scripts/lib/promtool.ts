import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = 'prometheus';
/** Where a promtool taken out of Debian's package is kept; node_modules is never committed. */
const CACHED = path.join(repoRoot, 'node_modules', '.cache', 'promtool', 'promtool');

function onPath(command: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, command))
    .find((candidate) => existsSync(candidate));
}

/**
 * Prometheus' `promtool`, for checking /metrics as Prometheus' own linter does: PROMTOOL, else one on the
 * PATH, else the copy taken earlier, else taken now out of Debian's `prometheus` package. Only the binary
 * is extracted (apt-get download + dpkg-deb -x): installing the package would also start a Prometheus
 * server on port 9090. Fails with what to install where there is no apt-get.
 */
export async function ensurePromtool(say: (line: string) => void = () => {}): Promise<string> {
  if (process.env.PROMTOOL) {
    if (existsSync(process.env.PROMTOOL)) return process.env.PROMTOOL;
    throw new Error(`no promtool at ${process.env.PROMTOOL} (PROMTOOL): install it there or unset PROMTOOL`);
  }
  const found = onPath('promtool') ?? (existsSync(CACHED) ? CACHED : undefined);
  if (found) return found;
  if (!onPath('apt-get') || !onPath('dpkg-deb')) {
    throw new Error(
      `promtool is missing: install it (Debian: apt-get install ${PACKAGE}; elsewhere: a Prometheus release), ` +
        'or set PROMTOOL to a promtool binary',
    );
  }
  say(`promtool is missing; taking it out of Debian's "${PACKAGE}" package (about 20 MB, nothing installed)`);
  const work = mkdtempSync(path.join(tmpdir(), 'promtool-'));
  try {
    const download = () =>
      execFileAsync('apt-get', ['download', '-q', PACKAGE], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
    try {
      await download();
    } catch (error) {
      // A fresh container has no package lists yet; refreshing them needs root.
      if (process.getuid?.() !== 0) throw error;
      await execFileAsync('apt-get', ['update', '-qq'], { maxBuffer: 64 * 1024 * 1024 });
      await download();
    }
    const deb = readdirSync(work).find((name) => name.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${PACKAGE} left no .deb file`);
    await execFileAsync('dpkg-deb', ['-x', path.join(work, deb), path.join(work, 'root')]);
    const binary = path.join(work, 'root', 'usr', 'bin', 'promtool');
    if (!existsSync(binary)) throw new Error(`Debian's ${PACKAGE} package holds no usr/bin/promtool`);
    mkdirSync(path.dirname(CACHED), { recursive: true });
    const partial = `${CACHED}.${process.pid}`;
    copyFileSync(binary, partial);
    renameSync(partial, CACHED); // atomic: a concurrent run sees the whole file or none
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `could not get promtool from Debian's "${PACKAGE}" package: ${(e.stderr || e.message).trim()}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  say(`promtool extracted to ${path.relative(repoRoot, CACHED)}`);
  return CACHED;
}

/**
 * npm test (and npm run test:unit): runs vitest with any arguments given (`npm test -- test/outbox`).
 * The integration project's global setup (test/setup/global-setup.ts) makes sure PostgreSQL, the Kafka
 * broker and Prisma Client are there; the browser tests install Chromium when it is missing.
 *
 * A skipped test is reported by name, and in CI (CI=true) it fails the run: a test that skips where it
 * should run proves nothing, and a green run must mean every test ran.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePrismaClient } from './lib/prisma-client.ts';

const say = (line: string) => process.stderr.write(`[test] ${line}\n`);
const repoRoot = fileURLToPath(new URL('../', import.meta.url));

// Before vitest starts: the unit tests import the schema too, and they run without the global setup.
if (ensurePrismaClient()) say('generated Prisma Client');

const reportDir = mkdtempSync(join(tmpdir(), 'petstore-test-report-'));
const reportFile = join(reportDir, 'vitest.json');
const vitest = spawn(
  process.execPath,
  [
    `${repoRoot}node_modules/vitest/vitest.mjs`,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportFile}`,
    ...process.argv.slice(2),
  ],
  { cwd: repoRoot, stdio: 'inherit' },
);

type JsonReport = {
  testResults?: { name: string; assertionResults?: { fullName: string; status: string }[] }[];
};

function skippedTests(): string[] {
  let report: JsonReport;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as JsonReport;
  } catch {
    return [];
  }
  return (report.testResults ?? []).flatMap((file) =>
    (file.assertionResults ?? [])
      .filter((test) => test.status === 'skipped' || test.status === 'pending' || test.status === 'todo')
      .map((test) => `${file.name.replace(repoRoot, '')}: ${test.fullName}`),
  );
}

vitest.on('exit', (code, signal) => {
  const skipped = skippedTests();
  rmSync(reportDir, { recursive: true, force: true });
  let exitCode = code ?? (signal ? 1 : 0);
  if (skipped.length > 0) {
    say(`${skipped.length} test(s) skipped:\n  ${skipped.join('\n  ')}`);
    if (process.env.CI) {
      say('failing: in CI every test must run');
      exitCode ||= 1;
    }
  }
  process.exit(exitCode);
});

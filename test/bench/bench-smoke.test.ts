import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BenchReport, SectionName } from '../../bench/report/bench-report.ts';
import { SECTION_TITLES } from '../../bench/report/bench-report.ts';
import { adminDatabaseUrl } from '../support/test-database.ts';

/**
 * The benchmark harness at tiny sizes (`npm run bench -- --smoke`), run as the user runs it, so it
 * cannot rot unnoticed. What is checked is that it measured every scenario and wrote a complete
 * report; no figure is compared with any speed (timings belong to the benchmark, not to tests).
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SECTIONS = Object.keys(SECTION_TITLES) as SectionName[];
const SMOKE_DRAIN_EVENTS = 2000;

let outDir: string;
let exitCode: number | null;
let output = '';
let report: BenchReport;
let markdown: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'petstore-bench-smoke-'));
  exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', `--out=${outDir}`], {
      cwd: repoRoot,
      env: {
        ...process.env,
        TEST_DATABASE_URL: adminDatabaseUrl(),
        BENCH_DRAIN_EVENTS: String(SMOKE_DRAIN_EVENTS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  const reportFile = join(outDir, 'report.json');
  if (!existsSync(reportFile)) throw new Error(`the bench wrote no report (exit ${exitCode}):\n${output}`);
  report = JSON.parse(readFileSync(reportFile, 'utf8')) as BenchReport;
  markdown = readFileSync(join(outDir, 'report.md'), 'utf8');
}, 600_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

function section<Name extends SectionName>(name: Name) {
  const value = report.sections[name];
  if (value.status !== 'ok')
    throw new Error(`${name}: ${value.status}: ${'error' in value ? value.error : value.reason}`);
  return value.result as Extract<BenchReport['sections'][Name], { status: 'ok' }>['result'];
}

describe('npm run bench -- --smoke', () => {
  test('exits cleanly, showing progress and the summary', () => {
    expect(exitCode, output).toBe(0);
    expect(output).toContain('SMOKE run');
    expect(output).toMatch(/estimated [\d.]+ min/);
    expect(output).toContain('== Summary');
  });

  test('the JSON report has every section, each measured', () => {
    expect(report).toMatchObject({ kind: 'petstore-outbox-bench', version: 1, mode: 'smoke' });
    expect(Object.keys(report.sections).sort()).toEqual([...SECTIONS].sort());
    for (const name of SECTIONS)
      expect({ name, status: report.sections[name].status }).toEqual({ name, status: 'ok' });
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.summary.map((row) => row.id)).toEqual([
      'relay-drain',
      'relay-drain-steady',
      'relay-vs-producer-limit',
      'relay-vs-postgres-ceiling',
      'relay-vs-kafkajs-ceiling',
      'relay-vs-naive',
      'relay-vs-naive-eager',
      'commit-to-ack-p99',
      'commit-to-subscriber-p99',
      'mutations',
      'mutation-p99',
      'mutations-vs-bare-driver',
      'fanout-missed',
      'fanout-out-of-order',
      'fanout-p99',
      'fanout-write-rate',
      'fanout-write-errors',
      'fanout-write-p99',
      'server-idle-rss',
      'server-rss',
      'server-event-loop-delay-p99',
    ]);
    // RSS is read from /proc: only Linux has it.
    const measurable = report.summary.filter(
      (row) => !['server-rss', 'server-idle-rss'].includes(row.id) || process.platform === 'linux',
    );
    for (const row of measurable)
      expect({ id: row.id, value: row.value }).not.toEqual({ id: row.id, value: null });
  });

  test('the relay drained the whole backlog onto Kafka, and the reference figures were measured', () => {
    const { relay, producerLimit, ceilings } = section('relayDrain');
    expect(relay).toMatchObject({ events: SMOKE_DRAIN_EVENTS, published: SMOKE_DRAIN_EVENTS, failed: 0 });
    expect(relay.kafkaMessages).toBeGreaterThanOrEqual(SMOKE_DRAIN_EVENTS);
    expect(relay.series.length).toBeGreaterThan(0);
    expect(producerLimit.status).toBe('ok');
    if (producerLimit.status === 'ok') expect(producerLimit.runs[0]?.records).toBe(SMOKE_DRAIN_EVENTS);
    // Both ceilings ran on the same events: PostgreSQL alone, and kafkajs alone in every message format.
    expect(ceilings.postgres.events).toBe(SMOKE_DRAIN_EVENTS);
    expect(ceilings.kafkajs.map((run) => [run.format, run.events])).toEqual([
      ['structured', SMOKE_DRAIN_EVENTS],
      ['binary', SMOKE_DRAIN_EVENTS],
      ['compact', SMOKE_DRAIN_EVENTS],
    ]);
    expect(relay.cpu.processCores).toHaveProperty('postgres');
    expect(relay.cpu.processCores).toHaveProperty('kafka');
    const { variants } = section('naiveBaseline');
    expect(variants.map((variant) => variant.variant)).toEqual(['as-described', 'eager']);
    for (const variant of variants) expect(variant.published).toBeGreaterThan(0);
  });

  test('every event written through the API reached Kafka and the subscribers', () => {
    const latency = section('endToEndLatency');
    expect(latency.writeErrors, String(latency.firstWriteError)).toBe(0);
    expect(latency).toMatchObject({ missingOnKafka: 0, missingAtSubscriber: 0 });
    expect(latency.commitToAck.count).toBe(latency.written);
    const mutations = section('mutationThroughput');
    expect(mutations.api.errors).toBe(0);
    expect(mutations.bareDriver.errors).toBe(0);
    expect(mutations.api.completed).toBeGreaterThan(0);
    const fanOut = section('fanOut');
    expect(fanOut).toMatchObject({ missed: 0, duplicates: 0, outOfOrder: 0, writeErrors: 0 });
    expect(fanOut.deliveries).toBe(fanOut.expectedDeliveries);
  });

  test('memory and the scale knobs cover every process and setting', () => {
    const { entries } = section('memory');
    expect(entries.filter((entry) => entry.process === 'server').length).toBeGreaterThanOrEqual(5);
    if (process.platform === 'linux')
      for (const entry of entries) expect(entry.peakRssBytes).toBeGreaterThan(0);
    for (const entry of entries.filter((candidate) => candidate.process === 'server')) {
      const delay = entry.eventLoopDelay;
      expect(delay, entry.scenario).toBeTruthy();
      expect(delay?.p99Seconds, entry.scenario).toBeGreaterThanOrEqual(0);
      expect(delay?.maxSeconds, entry.scenario).toBeGreaterThanOrEqual(delay?.p99Seconds ?? Number.NaN);
    }
    const scale = section('scaleKnobs');
    expect(scale.errors).toEqual([]);
    expect(scale.instances.map((run) => run.instances)).toEqual(report.options.relayInstances);
    expect(scale.batchSizes.map((run) => run.batchSize)).toEqual(report.options.batchSizes);
    expect(scale.backlogSizes.map((run) => run.events)).toEqual(report.options.costCurve);
    for (const run of [...scale.instances, ...scale.batchSizes, ...scale.backlogSizes]) {
      expect(run.published).toBe(run.events);
    }
  });

  test('the Markdown report has every section, the summary and its charts', () => {
    expect(markdown).toContain('## Summary');
    expect(markdown).toContain('## Machine');
    for (const title of Object.values(SECTION_TITLES)) expect(markdown).toContain(`## ${title}`);
    expect(markdown).not.toContain('This scenario failed');
    expect(report.charts).toEqual(
      expect.arrayContaining(['drain-throughput.svg', 'latency-percentiles.svg', 'latency-throughput.svg']),
    );
    for (const chart of report.charts) {
      expect(markdown).toContain(`](${chart})`);
      expect(readFileSync(join(outDir, chart), 'utf8')).toMatch(
        /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/,
      );
    }
  });
});

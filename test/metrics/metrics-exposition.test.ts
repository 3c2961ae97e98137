import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPetThroughApi } from '../live/live-helpers.ts';
import { checkExposition } from '../support/exposition-format.ts';
import { graphql } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

describe('checkExposition (the strict reading the /metrics test relies on)', () => {
  const valid = [
    '# HELP jobs_total Jobs done.',
    '# TYPE jobs_total counter',
    'jobs_total{queue="a"} 3',
    '# HELP latency_seconds Latency.',
    '# TYPE latency_seconds summary',
    'latency_seconds{quantile="0.5"} 0.1',
    'latency_seconds{quantile="0.99"} NaN',
    '# HELP size_bytes Sizes.',
    '# TYPE size_bytes histogram',
    'size_bytes_bucket{le="1"} 1',
    'size_bytes_bucket{le="+Inf"} 2',
    'size_bytes_sum 5',
    'size_bytes_count 2',
    '',
  ].join('\n');

  test('passes a well-formed exposition', () => {
    expect(checkExposition(valid)).toEqual([]);
  });

  test.each([
    [
      'a gauge with a quantile label',
      '# HELP lag_seconds L.\n# TYPE lag_seconds gauge\nlag_seconds{quantile="0.5"} 1\n',
      /only summaries/,
    ],
    ['a counter without _total', '# HELP jobs J.\n# TYPE jobs counter\njobs 1\n', /end in _total/],
    [
      'a gauge named like a counter',
      '# HELP open_total O.\n# TYPE open_total gauge\nopen_total 1\n',
      /only counters/,
    ],
    ['no HELP', '# TYPE up gauge\nup 1\n', /no HELP/],
    ['no TYPE', '# HELP up U.\nup 1\n', /without a TYPE/],
    ['a duplicate series', '# HELP up U.\n# TYPE up gauge\nup{a="1"} 1\nup{a="1"} 2\n', /duplicate series/],
    ['a bad value', '# HELP up U.\n# TYPE up gauge\nup one\n', /invalid value/],
    ['broken labels', '# HELP up U.\n# TYPE up gauge\nup{a=1} 1\n', /malformed labels/],
    [
      'a histogram without +Inf',
      '# HELP h_seconds H.\n# TYPE h_seconds histogram\nh_seconds_bucket{le="1"} 1\nh_seconds_count 1\n',
      /no le="\+Inf"/,
    ],
    [
      'a family split in two',
      '# HELP a A.\n# TYPE a gauge\na{x="1"} 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x="2"} 1\n',
      /appears again/,
    ],
  ])('finds %s', (_what, text, problem) => {
    expect(checkExposition(text).join('\n')).toMatch(problem);
  });
});

/** promtool from PROMTOOL or PATH; Debian ships it in the `prometheus` package. */
function findPromtool(): string | undefined {
  if (process.env.PROMTOOL) return existsSync(process.env.PROMTOOL) ? process.env.PROMTOOL : undefined;
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((dir) => path.join(dir, 'promtool'))
    .find((candidate) => existsSync(candidate));
}

const promtool = findPromtool();
if (!promtool) {
  process.stderr.write(
    '[test] promtool not found: `promtool check metrics` on /metrics is skipped; the strict format check still ' +
      'runs. Install it with `apt-get install prometheus`, or extract it without the service: ' +
      '`apt-get download prometheus && dpkg-deb -x prometheus_*.deb /tmp/prom` then PROMTOOL=/tmp/prom/usr/bin/promtool\n',
  );
}

describe('/metrics', () => {
  let testApp: TestApp;
  let text: string;

  beforeAll(async () => {
    testApp = await startTestApp({ OUTBOX_METRICS_INTERVAL: '0.2' });
    // Publications, so the latency quantiles and every per-topic series have values.
    await createPetThroughApi(testApp.graphqlUrl, { name: 'Metrics', species: 'dog', price: '10.00' });
    await waitFor(
      async () => {
        const { data } = await graphql<{ outboxMetrics: { commitToPublishP50Seconds: number | null } }>(
          testApp.graphqlUrl,
          '{ outboxMetrics { commitToPublishP50Seconds } }',
        );
        return data?.outboxMetrics.commitToPublishP50Seconds !== null;
      },
      { timeoutMs: 30_000, what: 'a commit-to-publish latency reading' },
    );
    text = await (await fetch(`${testApp.url}/metrics`)).text();
  });

  afterAll(async () => {
    await testApp?.stop();
  });

  test('passes the strict exposition-format and naming check', () => {
    expect(checkExposition(text)).toEqual([]);
  });

  test('the recent commit-to-publish quantiles are a summary, keeping their name and readings', () => {
    expect(text).toContain('# TYPE petstore_outbox_recent_commit_to_publish_seconds summary');
    const p50 = /^petstore_outbox_recent_commit_to_publish_seconds\{quantile="0\.5"\} (\S+)$/m.exec(
      text,
    )?.[1];
    expect(Number(p50)).toBeGreaterThan(0);
  });

  test.skipIf(!promtool)(`passes promtool check metrics (${promtool ?? 'promtool not installed'})`, () => {
    const result = spawnSync(promtool as string, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensurePromtool } from '../../scripts/lib/promtool.ts';
import { createPetThroughApi } from '../live/live-helpers.ts';
import { checkExposition } from '../support/exposition-format.ts';
import { graphql } from '../support/graphql-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

describe('/metrics', () => {
  let testApp: TestApp;
  let text: string;
  let promtool: string;

  beforeAll(async () => {
    promtool = await ensurePromtool((line) => process.stderr.write(`[test] ${line}\n`));
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

  test('passes promtool check metrics, Prometheus’ own linter', () => {
    const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});

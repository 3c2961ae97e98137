import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

type Panel = { title: string; targets: { expr: string }[] };

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp?.stop();
});

describe('the committed monitoring files', () => {
  test("the Grafana dashboard has the seed's panels and queries only metrics the service exports", async () => {
    const dashboard = JSON.parse(
      await readFile(repo('monitoring/grafana/dashboards/petstore-outbox.json'), 'utf8'),
    ) as {
      uid: string;
      panels: Panel[];
    };
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const title of [
      'Pending events',
      'Processing rate',
      'Error rate',
      'Processing latency',
      'Circuit state',
      'Oldest pending event age',
    ]) {
      expect(titles).toContain(title);
    }
    const exported = new Set(
      [...(await (await fetch(`${testApp.url}/metrics`)).text()).matchAll(/^# TYPE (\S+) /gm)].map(
        (match) => match[1],
      ),
    );
    const queried = new Set(
      dashboard.panels
        .flatMap((panel) => panel.targets.map((target) => target.expr))
        .flatMap((expr) => [...expr.matchAll(/\b(petstore_[a-z0-9_]+)/g)].map((match) => match[1] as string))
        .map((name) => name.replace(/_(bucket|count|sum)$/, '')),
    );
    expect(queried.size).toBeGreaterThan(5);
    for (const name of queried) expect(exported, name).toContain(name);
    // The seed's PromQL names, verbatim.
    for (const name of [
      'petstore_outbox_pending_events',
      'petstore_outbox_processed_total',
      'petstore_outbox_errors_total',
      'petstore_outbox_processing_duration_seconds',
    ]) {
      expect(queried).toContain(name);
    }
  });

  test('Prometheus scrapes /metrics on the host, Grafana gets its data source and dashboard provisioned', async () => {
    const prometheus = await readFile(repo('monitoring/prometheus.yml'), 'utf8');
    expect(prometheus).toContain('metrics_path: /metrics');
    expect(prometheus).toContain('host.docker.internal:8080');
    const datasource = await readFile(
      repo('monitoring/grafana/provisioning/datasources/prometheus.yml'),
      'utf8',
    );
    expect(datasource).toContain('uid: prometheus');
    expect(datasource).toContain('url: http://prometheus:9090');

    const compose = await readFile(repo('docker-compose.yml'), 'utf8');
    expect(compose).toContain('profiles: ["monitoring"]');
    expect(compose).toContain('host.docker.internal:host-gateway');
    // Every file the monitoring services mount is committed.
    const mounts = [...compose.matchAll(/- \.\/(monitoring\/\S+?):/g)].map((match) => match[1] as string);
    expect(mounts.length).toBeGreaterThanOrEqual(3);
    for (const mount of mounts) expect(existsSync(repo(mount)), mount).toBe(true);
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp?.stop();
});

async function delayMetrics(): Promise<Map<string, number>> {
  const text = await (await fetch(`${testApp.url}/metrics`)).text();
  const values = new Map<string, number>();
  for (const match of text.matchAll(
    /^(petstore_event_loop_delay_(?:p99|max)_seconds)\{window="(\w+)"\} (\S+)$/gm,
  )) {
    values.set(`${match[1]}/${match[2]}`, Number(match[3]));
  }
  return values;
}

describe('/metrics: event-loop delay', () => {
  test('reports p99 and max for the recent window and the whole process, and sees the loop held', async () => {
    // The server runs in this process, so holding this thread holds its event loop.
    const heldMs = 300;
    const started = Date.now();
    while (Date.now() - started < heldMs) {
      // busy on purpose
    }
    const values = await waitFor(
      async () => {
        const current = await delayMetrics();
        return (current.get('petstore_event_loop_delay_max_seconds/process') ?? 0) >= 0.25 ? current : null;
      },
      { what: 'the held event loop in petstore_event_loop_delay_max_seconds', timeoutMs: 10_000 },
    );
    expect([...values.keys()].sort()).toEqual([
      'petstore_event_loop_delay_max_seconds/process',
      'petstore_event_loop_delay_max_seconds/recent',
      'petstore_event_loop_delay_p99_seconds/process',
      'petstore_event_loop_delay_p99_seconds/recent',
    ]);
    expect(values.get('petstore_event_loop_delay_max_seconds/recent')).toBeGreaterThanOrEqual(0.25);
    for (const [name, value] of values) {
      expect(value, name).toBeGreaterThanOrEqual(0);
      expect(value, name).toBeLessThan(60);
    }
    const p99 = values.get('petstore_event_loop_delay_p99_seconds/process') ?? Number.NaN;
    expect(p99).toBeLessThanOrEqual(values.get('petstore_event_loop_delay_max_seconds/process') ?? 0);
  });
});

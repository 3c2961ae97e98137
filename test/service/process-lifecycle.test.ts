import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { graphql } from '../support/graphql-client.ts';
import { randomTopicPrefix } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type LogLine = { msg?: string; graphiql?: string; level?: number; [field: string]: unknown };

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

/** Runs src/main.ts as a real process and collects its JSON log lines. */
function startService(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as LogLine);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited, stderr: () => stderr };
}

describe('the service process', () => {
  test('starts, serves GraphQL, and on SIGTERM drains and exits 0', async () => {
    const service = startService({
      DATABASE_URL: database.url,
      PORT: '0',
      KAFKA_TOPIC_PREFIX: randomTopicPrefix(),
      LOG_LEVEL: 'info',
    });
    try {
      const ready = await waitFor(() => service.lines.find((line) => line.graphiql), {
        timeoutMs: 30_000,
        what: `the ready log line (stderr: ${service.stderr()})`,
      });
      const graphiqlUrl = String(ready.graphiql);
      const response = await graphql<{ outboxMetrics: { running: boolean } }>(
        graphiqlUrl,
        '{ outboxMetrics { running } }',
      );
      expect(response.data?.outboxMetrics.running).toBe(true);
      const health = await fetch(graphiqlUrl.replace('/graphql', '/health'));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });

      service.child.kill('SIGTERM');
      const exit = await service.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      const messages = service.lines.map((line) => line.msg);
      expect(messages).toContain('shutting down');
      expect(messages).toContain('relay stopped');
      expect(messages.at(-1)).toBe('stopped cleanly');
      expect(messages.indexOf('relay stopped')).toBeLessThan(messages.indexOf('stopped cleanly'));
    } finally {
      service.child.kill('SIGKILL');
    }
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { freePort } from '../../scripts/lib/free-port.ts';
import { test } from '../support/fixtures.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';
import { runNpmScript } from './run-npm-script.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run db:start | db:status | db:stop', () => {
  let home: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // A data directory and a port of its own: never the embedded server a developer may be using.
    home = await mkdtemp(path.join(os.tmpdir(), 'petstore-db-script-'));
    env = { EMBEDDED_POSTGRES_DIR: home, EMBEDDED_POSTGRES_PORT: String(await freePort()) };
  });

  afterAll(async () => {
    if (env) await runNpmScript('db:stop', [], { env });
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('start prints a DATABASE_URL that works, status follows, stop stops it', async () => {
    const before = await runNpmScript('db:status', [], { env });
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('not running');

    const started = await runNpmScript('db:start', [], { env, timeoutMs: 180_000 });
    expect(started.code, started.stderr).toBe(0);
    const url = /^DATABASE_URL=(\S+)$/m.exec(started.stdout)?.[1];
    expect(url).toContain(`127.0.0.1:${env.EMBEDDED_POSTGRES_PORT}/petstore`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query('SELECT current_database() AS name')).rows[0]).toEqual({ name: 'petstore' });
    } finally {
      await client.end();
    }

    const up = await runNpmScript('db:status', [], { env });
    expect(up.code, up.stdout).toBe(0);
    expect(up.stdout).toMatch(/up on 127\.0\.0\.1:\d+ \(pid \d+\).*log in .*postgres\.log/);

    const again = await runNpmScript('db:start', [], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already running');

    const stopped = await runNpmScript('db:stop', [], { env });
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain('stopped the embedded PostgreSQL');
    expect((await runNpmScript('db:status', [], { env })).code).toBe(1);
  });
});

describe('npm run studio', () => {
  let database: TestDatabase;

  test.beforeAll(({ database: fileDatabase }) => {
    database = fileDatabase;
  });

  test("serves Prisma Studio for the service's DATABASE_URL on 127.0.0.1 only", async () => {
    const port = await freePort();
    // Its own process group, so the test can stop npm, the script and Prisma Studio together.
    const child = spawn('npm', ['run', '-s', 'studio', '--', '--port', String(port)], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: database.url },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitFor(() => output.includes('Prisma Studio is running at'), {
        timeoutMs: 90_000,
        what: `Prisma Studio to start (output: ${output})`,
      });
      expect(output).toContain(`${database.name}`);
      expect(output).not.toMatch(/postgres(ql)?:\/\/[^ ]*@/); // no connection string, so no password
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);

      const external = Object.values(os.networkInterfaces())
        .flat()
        .find((address) => address && address.family === 'IPv4' && !address.internal);
      if (external) {
        const reachable = await new Promise<boolean>((resolve) => {
          const socket = net.connect({ host: external.address, port });
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        });
        expect(reachable, `Studio answers on ${external.address}`).toBe(false);
      }
    } finally {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
  });
});

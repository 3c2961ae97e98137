import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../../scripts/lib/service-node-flags.ts';

describe('the V8 flags the service runs with', () => {
  test('npm run serve and npm run relay start the build with the same flags as npm start and the benchmark', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.serve).toBe(`node ${SERVICE_NODE_FLAGS.join(' ')} dist/main.js`);
    expect(pkg.scripts.relay).toBe(`node ${SERVICE_NODE_FLAGS.join(' ')} dist/relay-main.js`);
  });

  test('this node accepts them (V8 refuses a flag it does not know, and the service would not start)', () => {
    const output = execFileSync(
      process.execPath,
      [...SERVICE_NODE_FLAGS, '-e', 'process.stdout.write("ok")'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(output).toBe('ok');
  });
});

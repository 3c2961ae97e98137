import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../../scripts/lib/service-node-flags.ts';

describe('the V8 flags the service runs with', () => {
  test('npm run serve starts the build with the same flags as npm start and the benchmark', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.serve).toBe(`node ${SERVICE_NODE_FLAGS.join(' ')} dist/main.js`);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const configFile = join(root, '.dependency-cruiser.mjs');

/** Every rule broken in the tree at `baseDir`, as "rule: from → to" lines. */
async function violations(baseDir: string): Promise<string[]> {
  const options = await extractDepcruiseOptions(configFile);
  const { output } = await cruise(['src'], { ...options, baseDir, tsConfig: undefined });
  return (output as ICruiseResult).summary.violations.map(
    (violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`,
  );
}

/**
 * For each rule of .dependency-cruiser.mjs, files that break it and the violation expected: a rule
 * whose paths stop matching fails here rather than passing silently. A new rule needs an entry.
 */
const BREAKING_EXAMPLES: Record<string, { files: Record<string, string>; expected: string }> = {
  'domain-not-graphql': {
    files: {
      'src/graphql/builder.ts': 'export const builder = 1;\n',
      'src/modules/pets/pet.service.ts':
        "import { builder } from '../../graphql/builder.ts';\nexport const a = builder;\n",
    },
    expected: 'src/modules/pets/pet.service.ts → src/graphql/builder.ts',
  },
  'domain-not-http': {
    files: {
      'src/http/server.ts': 'export const server = 1;\n',
      'src/domain/errors.ts':
        "import type { server } from '../http/server.ts';\nexport type A = typeof server;\n",
    },
    expected: 'src/domain/errors.ts → src/http/server.ts',
  },
  'outbox-not-metrics': {
    files: {
      'src/metrics/service-metrics.ts': 'export const metrics = 1;\n',
      'src/outbox/status/outbox-status.ts':
        "import { metrics } from '../../metrics/service-metrics.ts';\nexport const a = metrics;\n",
    },
    expected: 'src/outbox/status/outbox-status.ts → src/metrics/service-metrics.ts',
  },
  'outbox-not-transport': {
    files: {
      'src/graphql/yoga.ts': 'export const yoga = 1;\n',
      'src/outbox-service/create-outbox-service.ts':
        "import { yoga } from '../graphql/yoga.ts';\nexport const a = yoga;\n",
    },
    expected: 'src/outbox-service/create-outbox-service.ts → src/graphql/yoga.ts',
  },
  'no-circular': {
    files: {
      'src/infra/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'src/infra/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    },
    expected: 'src/infra/a.ts → src/infra/b.ts',
  },
};

describe('the import graph (.dependency-cruiser.mjs)', () => {
  test('src breaks none of the layer rules', async () => {
    expect(await violations(root)).toEqual([]);
  }, 60_000);

  test('every rule has a breaking example below', async () => {
    const options = await extractDepcruiseOptions(configFile);
    const rules = (options.ruleSet?.forbidden ?? []).map((rule) => rule.name).sort();
    expect(rules).toEqual(Object.keys(BREAKING_EXAMPLES).sort());
  });

  describe('each rule catches what it forbids', () => {
    const tree = mkdtempSync(join(tmpdir(), 'import-graph-'));
    afterAll(() => rmSync(tree, { recursive: true, force: true }));
    for (const { files } of Object.values(BREAKING_EXAMPLES)) {
      for (const [path, body] of Object.entries(files)) {
        mkdirSync(dirname(join(tree, path)), { recursive: true });
        writeFileSync(join(tree, path), body);
      }
    }

    test.each(Object.entries(BREAKING_EXAMPLES))(
      '%s',
      async (rule, { expected }) => {
        expect(await violations(tree)).toContain(`${rule}: ${expected}`);
      },
      60_000,
    );
  });
});

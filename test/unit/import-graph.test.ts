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

describe('the import graph (.dependency-cruiser.mjs)', () => {
  test('src breaks none of the layer rules', async () => {
    expect(await violations(root)).toEqual([]);
  }, 60_000);

  describe('each rule catches what it forbids', () => {
    const tree = mkdtempSync(join(tmpdir(), 'import-graph-'));
    afterAll(() => rmSync(tree, { recursive: true, force: true }));
    const write = (path: string, body: string) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), body);
    };
    write('src/graphql/builder.ts', 'export const builder = 1;\n');
    write('src/http/server.ts', 'export const server = 1;\n');
    write(
      'src/modules/pets/pet.service.ts',
      "import { builder } from '../../graphql/builder.ts';\nexport const a = builder;\n",
    );
    write(
      'src/domain/errors.ts',
      "import type { server } from '../http/server.ts';\nexport type A = typeof server;\n",
    );
    write('src/infra/a.ts', "import { b } from './b.ts';\nexport const a = () => b;\n");
    write('src/infra/b.ts', "import { a } from './a.ts';\nexport const b = () => a;\n");

    test.each([
      ['domain-not-graphql', 'domain-not-graphql: src/modules/pets/pet.service.ts → src/graphql/builder.ts'],
      ['domain-not-http', 'domain-not-http: src/domain/errors.ts → src/http/server.ts'],
      ['no-circular', 'no-circular: src/infra/a.ts → src/infra/b.ts'],
    ])(
      '%s',
      async (_rule, expected) => {
        expect(await violations(tree)).toContain(expected);
      },
      60_000,
    );
  });
});

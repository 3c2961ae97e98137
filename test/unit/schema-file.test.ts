import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { printedSchema } from '../../src/graphql/print-schema.ts';

test('schema.graphql is the schema the code builds (run `npm run schema:print` after changing the API)', () => {
  const committed = readFileSync(fileURLToPath(new URL('../../schema.graphql', import.meta.url)), 'utf8');
  expect(committed).toBe(printedSchema());
});

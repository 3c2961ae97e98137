import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, validate } from 'graphql';
import { describe, expect, test } from 'vitest';
import { schema } from '../../src/graphql/schema.ts';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

describe('the GraphQL examples in README.md', () => {
  test('there are some', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  test.each(examples.map((example) => [example.split('\n')[0] ?? '', example]))(
    'are valid against the schema: %s',
    (_firstLine, example) => {
      expect(validate(schema, parse(example)).map((error) => error.message)).toEqual([]);
    },
  );
});

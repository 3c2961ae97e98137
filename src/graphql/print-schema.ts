import { printSchema } from 'graphql';
import { schema } from './schema.ts';

/** The SDL committed as schema.graphql; test/graphql/schema-file.test.ts fails when the two differ. */
export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

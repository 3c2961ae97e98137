import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Parses `input` with `schema`, or throws a ValidationError whose paths start at `path`
 * (the argument's name, e.g. ['input']), so they point at what the client sent.
 */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  path: readonly string[],
): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => ({
      path: [...path, ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}

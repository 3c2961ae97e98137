import { GraphQLError } from 'graphql';
import type { z } from 'zod';
import { builder } from './builder.ts';

/**
 * Expected failures. Services throw these; fields list the ones they can produce in their
 * `errors` option, and the errors plugin turns them into members of the field's result union,
 * so a client branches on `__typename` instead of parsing messages. Anything else a resolver
 * throws is masked by yoga and logged (see the logUnexpectedErrors plugin in builder.ts).
 */

/** A client mistake: reported as is (not masked), with a code and the offending field's path. */
export function badUserInput(message: string, field: readonly string[] = []): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

export type ValidationIssue = { path: string[]; message: string };

/** The input broke one or more rules; nothing was written. Lists every problem, not just the first. */
export class ValidationError extends Error {
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super(issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`).join('; '));
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export type EntityName = 'Pet' | 'Order' | 'User';

export class NotFoundError extends Error {
  constructor(
    readonly entity: EntityName,
    readonly id: string,
  ) {
    super(`${entity} ${id} does not exist`);
    this.name = 'NotFoundError';
  }
}

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

/** Every expected error implements it, so `... on Error { message }` covers the ones a client does not know yet. */
export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure: nothing was written. The concrete type tells which.',
  fields: (t) => ({
    message: t.exposeString('message'),
  }),
});

const ValidationIssueRef = builder.objectRef<ValidationIssue>('ValidationIssue').implement({
  fields: (t) => ({
    path: t.exposeStringList('path', {
      description: 'Where the problem is, from the argument down, e.g. ["input", "price"].',
    }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input broke one or more rules; every problem is listed.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [ValidationIssueRef], resolve: (error) => error.issues }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The referenced pet, order or user does not exist.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    entity: t.exposeString('entity', { description: 'Pet, Order or User.' }),
    id: t.exposeString('id'),
  }),
});

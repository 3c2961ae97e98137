import { GraphQLError } from 'graphql';
import { NotFoundError, ValidationError, type ValidationIssue } from '../domain/errors.ts';
import { builder } from './builder.ts';

/**
 * How the domain's expected failures (src/domain/errors.ts) reach GraphQL clients: fields list the
 * ones they can produce in their `errors` option, and the errors plugin turns them into members of the
 * field's result union, so a client branches on `__typename` instead of parsing messages. Anything
 * else a resolver throws is masked by yoga and logged (see the logUnexpectedErrors plugin in builder.ts).
 */

/** A client mistake: reported as is (not masked), with a code and the offending field's path. */
export function badUserInput(message: string, field: readonly string[] = []): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
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

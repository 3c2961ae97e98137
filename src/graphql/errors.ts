import { GraphQLError } from 'graphql';

/** A client mistake: reported as is (not masked), with a code and the offending field's path. */
export function badUserInput(message: string, field: readonly string[] = []): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
}

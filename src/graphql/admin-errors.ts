import { GraphQLError } from 'graphql';

/**
 * Why an admin-only field was refused: the server has no admin token at all (nobody can use it),
 * or the caller did not send the right one. Both are reported as they are, never masked.
 */
export function adminRequiredError(adminEnabled: boolean): GraphQLError {
  if (!adminEnabled) {
    return new GraphQLError('Admin operations are disabled: the server has no ADMIN_TOKEN configured.', {
      extensions: { code: 'ADMIN_DISABLED' },
    });
  }
  return new GraphQLError(
    'This operation needs the admin credential: send the header "Authorization: Bearer <ADMIN_TOKEN>".',
    { extensions: { code: 'UNAUTHENTICATED' } },
  );
}

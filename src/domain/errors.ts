/**
 * Expected failures of the domain. Services throw these; each transport decides how to show them
 * (the GraphQL layer registers them as members of its result unions, src/graphql/errors.ts).
 */

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

import type { Readiness } from './readiness.ts';

/**
 * What an anonymous caller of /ready sees: the verdict and each check's status. Host names, error
 * texts, relay ids and migration names stay for admins (and the logs): they map the infrastructure.
 */
export function publicReadiness(readiness: Readiness): Readiness {
  return {
    status: readiness.status,
    checks: Object.fromEntries(
      Object.entries(readiness.checks).map(([name, check]) => [name, { status: check.status }]),
    ),
  };
}

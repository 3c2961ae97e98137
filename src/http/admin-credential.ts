import { createHash, timingSafeEqual } from 'node:crypto';

/** Who is calling, as far as the admin credential tells. */
export type Caller = {
  /** The request carried the admin token. */
  admin: boolean;
  /** What admin actions record as their author (e.g. `pausedBy`); null for everyone else. */
  principal: string | null;
};

export type AdminAuthenticator = {
  /** False when no ADMIN_TOKEN is set: admin operations are then refused to everyone. */
  readonly enabled: boolean;
  /** Reads an `Authorization: Bearer <token>` value (header or graphql-ws connection parameter). */
  identify(authorization: unknown): Caller;
};

export const ANONYMOUS: Caller = Object.freeze({ admin: false, principal: null });
const ADMIN: Caller = Object.freeze({ admin: true, principal: 'admin' });
const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Compares the hashes of the given and the configured token with timingSafeEqual: hashing first
 * gives both sides the same length, so neither the comparison's time nor an early length check
 * tells an attacker how much of a guess was right, or how long the token is.
 */
export function createAdminAuthenticator(token: string | null): AdminAuthenticator {
  const expected = token ? sha256(token) : null;
  return {
    enabled: expected !== null,
    identify(authorization) {
      if (!expected || typeof authorization !== 'string' || authorization.length > 1024) return ANONYMOUS;
      const given = BEARER.exec(authorization)?.[1];
      if (!given) return ANONYMOUS;
      return timingSafeEqual(sha256(given), expected) ? ADMIN : ANONYMOUS;
    },
  };
}

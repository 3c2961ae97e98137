/**
 * Every PostgreSQL LISTEN/NOTIFY channel of the outbox. A notification only wakes a listener early:
 * each listener also polls, so a lost notification delays work and never loses it.
 */

/**
 * Sent after the commit of transactions that added outbox rows (the service's mutations and
 * `withTransaction`, from a transaction of their own: src/outbox/announcer.ts) and after a replay of
 * dead letters: relays claim at once. A writer outside the service may send it too.
 */
export const PENDING_CHANNEL = 'outbox_pending';

/** Sent when a relay's marks commit: the live feed (eventPublished) and the sampler read on. */
export const PUBLISHED_CHANNEL = 'outbox_published';

/** Sent when an operator flips the database-wide pause switch (pauseRelay / resumeRelay). */
export const RELAY_CONTROL_CHANNEL = 'outbox_relay_control';

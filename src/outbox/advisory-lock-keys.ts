/**
 * Every PostgreSQL advisory-lock key of the outbox, side by side so no two jobs share one by
 * accident. (Migrations take Prisma Migrate's own key, 72707369, in src/db/migrate.ts.)
 */

/** One instance at a time purges published events past OUTBOX_RETENTION (transaction-level try-lock). */
export const RETENTION_LOCK = 7_024_112_602;

/** One instance at a time vacuums the outbox table (session-level try-lock). */
export const VACUUM_LOCK = 7_024_112_603;

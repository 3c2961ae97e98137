-- idx_outbox_events_is_processed becomes partial: only the unprocessed rows, ordered by created_at.
--
-- The full index on a boolean held every row, and every mark (is_processed false -> true, a non-HOT
-- update) added an entry to it: one more index insertion and WAL record per published event, for an
-- index whose "true" half no query reads (a scan for processed rows reads most of the table anyway).
-- Measured with bench/index-cost.ts (claim + mark alone, 50,000 events): without the full index
-- the mark cost 29.6 us/event and 8.2 WAL records against 30.0-33.4 us and 9.2 as migrated.
--
-- Raw SQL: Prisma's schema language cannot declare a partial index (sql-only-objects.json lists it).
-- The design document's debugging SQL stays an index scan, now without a sort:
--   SELECT * FROM outbox_events WHERE is_processed = false ORDER BY created_at DESC LIMIT 10;
--   SELECT * FROM outbox_events WHERE retry_count >= 5 AND is_processed = false;
DROP INDEX "idx_outbox_events_is_processed";

CREATE INDEX "idx_outbox_events_is_processed" ON "outbox_events" ("is_processed", "created_at")
WHERE "is_processed" = false;

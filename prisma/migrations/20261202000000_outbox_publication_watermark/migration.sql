-- AlterTable: the transaction that marked each event published (pg_current_xact_id(), as a
-- number). Relays number their marks without a lock, so they may commit them out of number order.
-- The live feed therefore orders published events by (published_xid, published_seq) and reads
-- only marks of transactions older than every transaction still running
-- (pg_snapshot_xmin(pg_current_snapshot())): nothing can later commit before what it has read.
ALTER TABLE "outbox_events" ADD COLUMN "published_xid" BIGINT;

-- Rows published before this column existed sort first, in their old order, so a cursor handed
-- out before (a bare published_seq) still means the same place.
UPDATE "outbox_events" SET "published_xid" = 0 WHERE "published_seq" IS NOT NULL;

-- CreateIndex: the feed's order and resume cursor.
CREATE UNIQUE INDEX "outbox_events_publication_order_key" ON "outbox_events"("published_xid", "published_seq");

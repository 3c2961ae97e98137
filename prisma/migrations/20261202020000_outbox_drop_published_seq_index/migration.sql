-- DropIndex: the unique index on published_seq alone.
--
-- The global order of publication is (published_xid, published_seq), and its unique index
-- outbox_events_publication_order_key serves every reader of it: the eventPublished feed, the
-- metrics sampler's counts and bisection, the cursor-retention check. published_seq alone has no
-- reader left, and every mark paid for its index: one more index insertion and WAL record per
-- published event (the mark sets published_seq, so it is never a HOT update).
-- The numbers stay unique without it: they come from the sequence outbox_events_published_seq, and
-- the pair (published_xid, published_seq) is still unique.
DROP INDEX "outbox_events_published_seq_key";

-- The relays are woken after the commit instead of at it. The trigger's pg_notify made every
-- transaction that added outbox events take PostgreSQL's cluster-wide notification lock at its
-- commit and hold it through the commit's WAL flush, so those commits ran one at a time
-- (pgbench here, 16 clients, one insert per transaction: 1,450-1,950 commits/s with a NOTIFY,
-- 6,200-7,500 without). The service now sends `NOTIFY outbox_pending` from a transaction of its own
-- after each mutation (src/outbox/announcer.ts); rows written by anything else are found by the
-- relays' poll (OUTBOX_POLLING_INTERVAL), or sooner if that writer sends the NOTIFY after its commit.
DROP TRIGGER "outbox_events_notify_pending" ON "outbox_events";
DROP FUNCTION "outbox_events_notify_pending"();

-- Raw SQL (Prisma's schema language has no triggers): wakes every relay that LISTENs on
-- `outbox_pending`, at the commit of each transaction that added outbox events, whoever
-- wrote them. Postgres folds the notifications of one transaction into one, and delivers
-- nothing for a transaction that rolls back. The relays also poll, so a notification
-- lost while a relay reconnects only delays an event.
CREATE FUNCTION "outbox_events_notify_pending"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_pending', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER "outbox_events_notify_pending"
AFTER INSERT ON "outbox_events"
FOR EACH STATEMENT EXECUTE FUNCTION "outbox_events_notify_pending"();

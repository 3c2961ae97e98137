-- CreateIndex (raw: a partial index, which Prisma's schema language cannot express): the dead
-- letters, by aggregate. Counting parked aggregates (outboxMetrics, /metrics) and finding what to
-- replay then read only the failed rows, however large the pending backlog is; without it the
-- metrics sampler walked every unpublished row each time it looked.
CREATE INDEX "idx_outbox_events_failed_by_aggregate" ON "outbox_events" ("aggregate_type", "aggregate_id", "aggregate_sequence") WHERE "status" = 'failed';

-- CreateTable
CREATE TABLE "outbox_relay_instances" (
    "relay_id" VARCHAR(100) NOT NULL,
    "hostname" VARCHAR(255) NOT NULL,
    "pid" INTEGER NOT NULL,
    "mode" VARCHAR(20) NOT NULL,
    "heartbeat_interval_ms" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stopped_at" TIMESTAMPTZ(6),
    "circuit_state" VARCHAR(16) NOT NULL DEFAULT 'closed',
    "kafka_connected" BOOLEAN NOT NULL DEFAULT false,
    "last_error" TEXT,

    CONSTRAINT "outbox_relay_instances_pkey" PRIMARY KEY ("relay_id")
);

-- CreateTable
CREATE TABLE "outbox_relay_control" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "paused_at" TIMESTAMPTZ(6),
    "paused_by" VARCHAR(255),
    "reason" VARCHAR(1000),
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_relay_control_pkey" PRIMARY KEY ("id")
);

-- ---------------------------------------------------------------------------
-- Raw SQL below (listed in ../sql-only-objects.json, see the init migration).
-- No semicolon may appear in these comments.
-- ---------------------------------------------------------------------------

-- AddCheckConstraint (raw): the pause switch is one row shared by every relay
-- instance, so a pause applies to all of them at once.
ALTER TABLE "outbox_relay_control" ADD CONSTRAINT "outbox_relay_control_single_row" CHECK ("id" = 1);

-- InsertRow (raw): the relays read this row, they never create it.
INSERT INTO "outbox_relay_control" ("id", "paused") VALUES (1, false);

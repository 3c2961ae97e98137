-- CreateTable
CREATE TABLE "inbox_messages" (
    "consumer" VARCHAR(100) NOT NULL,
    "event_id" VARCHAR(255) NOT NULL,
    "processed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_messages_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "demo_event_counts" (
    "consumer" VARCHAR(100) NOT NULL,
    "event_type" VARCHAR(100) NOT NULL,
    "applied" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "demo_event_counts_pkey" PRIMARY KEY ("consumer","event_type")
);

import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type pg from 'pg';

export type NaiveRelayOptions = {
  pool: pg.Pool;
  kafka: Kafka;
  batchSize: number;
  pollingIntervalMs: number;
  /**
   * false: as the design document describes it, sleep OUTBOX_POLLING_INTERVAL after every batch.
   * true: go on at once after a full batch (the first thing anyone would fix), to show that the
   * gap is not only the sleeping.
   */
  eager: boolean;
};

type Row = {
  id: string;
  aggregate_id: string;
  aggregate_type: string;
  event_type: string;
  event_data: string;
  correlation_id: string | null;
  topic: string;
};

/**
 * The baseline the benchmark compares the relay with, built to the seed design's description and
 * nothing more: poll every OUTBOX_POLLING_INTERVAL, take OUTBOX_BATCH_SIZE unprocessed rows oldest
 * first, publish them one message at a time (awaiting each acknowledgement), and mark each row
 * processed with its own UPDATE. The producer gets the same guarantees as the relay's (idempotent,
 * acks=all, one request in flight), so the comparison is about the algorithm, not about weaker
 * delivery. Messages carry the same key and the same kind of headers.
 */
export function createNaiveRelay({ pool, kafka, batchSize, pollingIntervalMs, eager }: NaiveRelayOptions) {
  let producer: Producer | null = null;

  async function processBatch(): Promise<number> {
    const { rows } = await pool.query<Row>(
      `SELECT id, aggregate_id, aggregate_type, event_type, event_data, correlation_id, topic
       FROM outbox_events WHERE is_processed = false ORDER BY created_at LIMIT $1`,
      [batchSize],
    );
    for (const row of rows) {
      await producer?.send({
        topic: row.topic,
        acks: -1,
        messages: [
          {
            key: row.aggregate_id,
            value: row.event_data,
            headers: {
              event_id: row.id,
              event_type: row.event_type,
              aggregate_type: row.aggregate_type,
              aggregate_id: row.aggregate_id,
              'content-type': 'application/json',
              ...(row.correlation_id ? { correlation_id: row.correlation_id } : {}),
            },
          },
        ],
      });
      // This schema keeps `status` in step with the design's is_processed (a CHECK constraint).
      await pool.query(
        `UPDATE outbox_events SET is_processed = true, status = 'published', processed_at = now() WHERE id = $1`,
        [row.id],
      );
    }
    return rows.length;
  }

  return {
    async connect() {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
    },
    async disconnect() {
      await producer?.disconnect();
    },
    /** Runs until the outbox is empty or `deadline` (epoch ms) passes; returns how many it published. */
    async drain(deadline: number): Promise<number> {
      let published = 0;
      while (Date.now() < deadline) {
        const count = await processBatch();
        published += count;
        if (count === 0) break;
        if (!eager || count < batchSize) await sleep(pollingIntervalMs);
      }
      return published;
    },
  };
}

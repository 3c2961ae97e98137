import type pg from 'pg';
import type { PublishedEvent, PublishedEventFilter } from './published-event.ts';

type PublishedRow = {
  cursor: string;
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_sequence: number;
  event_type: string;
  event_data: string;
  correlation_id: string | null;
  topic: string;
  kafka_partition: number;
  kafka_offset: string;
  created_at: Date;
  processed_at: Date;
};

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Published events after `afterSeq`, in publication order (served by the unique index on published_seq). */
export async function readPublishedAfter(
  pool: pg.Pool,
  afterSeq: string,
  limit: number,
  filter: PublishedEventFilter = {},
): Promise<PublishedEvent[]> {
  const { rows } = await pool.query<PublishedRow>(
    // The output column is named `cursor`: were it `published_seq` (text), ORDER BY would sort the text,
    // and "100" would come before "99". A filter runs here, so a subscriber catching up with a narrow
    // filter is sent its own events only, not every row to sift through (a null criterion matches all).
    `SELECT published_seq::text AS cursor, id, aggregate_type, aggregate_id, aggregate_sequence, event_type,
            event_data, correlation_id, topic, kafka_partition, kafka_offset::text, created_at, processed_at
     FROM outbox_events
     WHERE published_seq > $1::bigint
       AND ($3::text IS NULL OR aggregate_type = $3) AND ($4::text IS NULL OR aggregate_id = $4)
       AND ($5::text IS NULL OR event_type = $5) AND ($6::text IS NULL OR topic = $6)
     ORDER BY outbox_events.published_seq
     LIMIT $2`,
    [
      afterSeq,
      limit,
      filter.aggregateType || null,
      filter.aggregateId || null,
      filter.eventType || null,
      filter.topic || null,
    ],
  );
  return rows.map((row) => ({
    cursor: row.cursor,
    eventId: row.id,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    aggregateSequence: row.aggregate_sequence,
    eventType: row.event_type,
    data: parseData(row.event_data),
    correlationId: row.correlation_id,
    topic: row.topic,
    partition: row.kafka_partition,
    offset: row.kafka_offset,
    createdAt: row.created_at,
    publishedAt: row.processed_at,
  }));
}

export async function latestPublishedSeq(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ seq: string | null }>(
    'SELECT max(published_seq)::text AS seq FROM outbox_events',
  );
  return rows[0]?.seq ?? '0';
}

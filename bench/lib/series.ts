import type pg from 'pg';

/** One point of a time series: seconds since the start of the measurement, and a rate per second. */
export type SeriesPoint = { t: number; value: number };

/**
 * Events per second over time, from the `processed_at` stamps the relay (or the baseline) wrote:
 * read after the run, so measuring costs the system under test nothing.
 */
export async function processedRateSeries(
  pool: pg.Pool,
  { from, bucketSeconds }: { from: Date; bucketSeconds: number },
): Promise<SeriesPoint[]> {
  const { rows } = await pool.query<{ bucket: number; events: string }>(
    `SELECT floor(extract(epoch FROM processed_at - $1::timestamptz) / $2)::int AS bucket, count(*) AS events
     FROM outbox_events WHERE processed_at IS NOT NULL
     GROUP BY 1 ORDER BY 1`,
    [from, bucketSeconds],
  );
  return fillGaps(
    rows.map((row) => ({ bucket: row.bucket, count: Number(row.events) })),
    bucketSeconds,
  );
}

/** Counts per bucket → rates, with empty buckets as zeros so a stall shows as a dip, not a straight line. */
export function fillGaps(buckets: { bucket: number; count: number }[], bucketSeconds: number): SeriesPoint[] {
  if (buckets.length === 0) return [];
  const byBucket = new Map(buckets.map((entry) => [entry.bucket, entry.count]));
  const first = Math.min(0, ...byBucket.keys());
  const last = Math.max(...byBucket.keys());
  const points: SeriesPoint[] = [];
  for (let bucket = first; bucket <= last; bucket += 1) {
    // Plotted at the middle of the bucket the rate was averaged over.
    points.push({ t: (bucket + 0.5) * bucketSeconds, value: (byBucket.get(bucket) ?? 0) / bucketSeconds });
  }
  return points;
}

/** Buckets times (ms since `startMs`) into a rate series. */
export function rateSeries(timesMs: Iterable<number>, startMs: number, bucketSeconds: number): SeriesPoint[] {
  const counts = new Map<number, number>();
  for (const time of timesMs) {
    const bucket = Math.floor((time - startMs) / 1000 / bucketSeconds);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return fillGaps(
    [...counts].map(([bucket, count]) => ({ bucket, count })),
    bucketSeconds,
  );
}

/** About 120 points per chart, never finer than a quarter second. */
export function bucketSecondsFor(durationSeconds: number): number {
  const raw = Math.max(0.25, durationSeconds / 120);
  return raw < 1 ? Math.ceil(raw * 4) / 4 : Math.ceil(raw);
}

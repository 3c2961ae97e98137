/**
 * Latencies in milliseconds, kept as counts in buckets 1% wide (like HdrHistogram), so millions of
 * samples (the fan-out's subscribers × events) cost a few kilobytes, and percentiles are read to
 * within 1%. The maximum and minimum are exact. Mergeable, and serialisable across processes.
 */

const PRECISION = 1.01;
const LOWEST_MS = 0.01;
const LOG_PRECISION = Math.log(PRECISION);

export type HistogramSnapshot = {
  buckets: [number, number][];
  count: number;
  min: number;
  max: number;
  sum: number;
};

export type Percentiles = {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
};

export class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private total = 0;
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = Number.NEGATIVE_INFINITY;
  private sum = 0;

  static from(snapshot: HistogramSnapshot): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.merge(snapshot);
    return histogram;
  }

  get count(): number {
    return this.total;
  }

  record(ms: number): void {
    // Clocks of two processes on one host can disagree by a fraction of a millisecond; never below 0.
    const value = Math.max(0, ms);
    const index = value <= LOWEST_MS ? 0 : Math.ceil(Math.log(value / LOWEST_MS) / LOG_PRECISION);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.total += 1;
    this.sum += value;
    if (value < this.minimum) this.minimum = value;
    if (value > this.maximum) this.maximum = value;
  }

  merge(other: HistogramSnapshot | LatencyHistogram): void {
    const snapshot = other instanceof LatencyHistogram ? other.snapshot() : other;
    for (const [index, count] of snapshot.buckets)
      this.buckets.set(index, (this.buckets.get(index) ?? 0) + count);
    this.total += snapshot.count;
    this.sum += snapshot.sum;
    if (snapshot.count > 0) {
      this.minimum = Math.min(this.minimum, snapshot.min);
      this.maximum = Math.max(this.maximum, snapshot.max);
    }
  }

  /** The upper edge of the bucket holding the p-th percentile (0 < p <= 100), capped at the exact maximum. */
  percentile(p: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index) ?? 0;
      if (seen >= rank)
        return Math.min(this.maximum, index === 0 ? LOWEST_MS : LOWEST_MS * PRECISION ** index);
    }
    return this.maximum;
  }

  summary(): Percentiles {
    return {
      count: this.total,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.total === 0 ? Number.NaN : this.maximum,
      mean: this.total === 0 ? Number.NaN : this.sum / this.total,
    };
  }

  snapshot(): HistogramSnapshot {
    return {
      buckets: [...this.buckets],
      count: this.total,
      min: this.total === 0 ? 0 : this.minimum,
      max: this.total === 0 ? 0 : this.maximum,
      sum: this.sum,
    };
  }
}

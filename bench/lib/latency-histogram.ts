import * as hdr from 'hdr-histogram-js';

/**
 * Latencies in milliseconds, recorded in an HdrHistogram at microsecond resolution with three
 * significant digits: millions of samples (the fan-out's subscribers × events) cost a few kilobytes,
 * and percentiles are read to within 0.1%. A snapshot is the histogram's compressed encoding, so a
 * subscriber process can send its whole distribution to the bench in one message.
 */

const MICROS_PER_MS = 1000;
const SIGNIFICANT_DIGITS = 3;

export type HistogramSnapshot = { encoded: string };

export type Percentiles = {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
};

// The pure-JS backend: the WebAssembly one needs an async init for no gain at the bench's rates.
const newHistogram = () =>
  hdr.build({
    bitBucketSize: 'packed',
    autoResize: true,
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });

export class LatencyHistogram {
  private readonly histogram = newHistogram();

  static from(snapshot: HistogramSnapshot): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.merge(snapshot);
    return histogram;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  record(ms: number): void {
    // Clocks of two processes on one host can disagree by a fraction of a millisecond; never below 0.
    this.histogram.recordValue(Math.max(0, Math.round(ms * MICROS_PER_MS)));
  }

  merge(other: HistogramSnapshot | LatencyHistogram): void {
    const source =
      other instanceof LatencyHistogram
        ? other.histogram
        : hdr.decodeFromCompressedBase64(other.encoded, 32, false);
    this.histogram.add(source);
  }

  /** The p-th percentile (0 < p <= 100) in milliseconds, NaN when nothing was recorded. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    return this.histogram.getValueAtPercentile(p) / MICROS_PER_MS;
  }

  summary(): Percentiles {
    const empty = this.count === 0;
    return {
      count: this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: empty ? Number.NaN : this.histogram.maxValue / MICROS_PER_MS,
      mean: empty ? Number.NaN : this.histogram.mean / MICROS_PER_MS,
    };
  }

  snapshot(): HistogramSnapshot {
    return { encoded: hdr.encodeIntoCompressedBase64(this.histogram) };
  }
}

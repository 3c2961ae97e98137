import { describe, expect, test } from 'vitest';
import { LatencyHistogram } from '../../bench/lib/latency-histogram.ts';

describe('the bench latency histogram', () => {
  test('percentiles of 1..1000 ms are within 0.1% of the exact ranks', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms += 1) histogram.record(ms);
    const summary = histogram.summary();
    expect(summary.count).toBe(1000);
    expect(summary.p50).toBeCloseTo(500, -0.3);
    expect(Math.abs(summary.p99 - 990) / 990).toBeLessThan(0.001);
    expect(Math.abs(summary.max - 1000) / 1000).toBeLessThan(0.001);
    expect(Math.abs(summary.mean - 500.5) / 500.5).toBeLessThan(0.001);
  });

  test('a snapshot crosses a process boundary as JSON and merges into another histogram', () => {
    const sender = new LatencyHistogram();
    for (let i = 0; i < 10_000; i += 1) sender.record(0.25 + (i % 100));
    const wire = JSON.parse(JSON.stringify(sender.snapshot()));
    const receiver = new LatencyHistogram();
    receiver.record(5_000);
    receiver.merge(wire);
    expect(receiver.count).toBe(10_001);
    expect(receiver.summary().max).toBeGreaterThanOrEqual(4_995);
    expect(LatencyHistogram.from(wire).summary().p50).toBeCloseTo(sender.summary().p50, 5);
  });

  test('sub-millisecond and negative samples (clock skew) are kept, negative ones as 0', () => {
    const histogram = new LatencyHistogram();
    histogram.record(0.042);
    histogram.record(-0.3);
    expect(histogram.count).toBe(2);
    expect(histogram.percentile(100)).toBeCloseTo(0.042, 3);
    expect(histogram.percentile(50)).toBe(0);
  });

  test('an empty histogram reports NaN, not zero', () => {
    const summary = new LatencyHistogram().summary();
    expect(summary.count).toBe(0);
    expect(summary.p99).toBeNaN();
    expect(summary.max).toBeNaN();
  });
});

import { describe, expect, test } from 'vitest';
import { parseBenchOptions } from '../../bench/options.ts';

describe('the bench options', () => {
  test('flags in both spellings, booleans, and lists', () => {
    const options = parseBenchOptions(
      ['--only=drain,latency', '--drain-events', '5000', '--cpu-prof', '--relay-instances=1,2'],
      {},
    );
    expect(options.scenarios).toEqual(['drain', 'latency']);
    expect(options.drainEvents).toBe(5000);
    expect(options.scaleEvents).toBe(5000);
    expect(options.cpuProf).toBe(true);
    expect(options.relayInstances).toEqual([1, 2]);
  });

  test('flags win over BENCH_* variables, which win over the defaults', () => {
    const env = { BENCH_DRAIN_EVENTS: '7000', BENCH_SMOKE: '1', BENCH_AGGREGATES: '40' };
    const options = parseBenchOptions(['--aggregates=9'], env);
    expect(options.smoke).toBe(true);
    expect(options.drainEvents).toBe(7000);
    expect(options.aggregates).toBe(9);
    expect(options.fanoutSubscribers).toBe(10);
  });

  test('unknown flags, positionals, missing values and bad numbers are refused with a reason', () => {
    expect(() => parseBenchOptions(['--drian-events=5'], {})).toThrow(/--drian-events[\s\S]*known flags: /);
    expect(() => parseBenchOptions(['drain'], {})).toThrow(/positional|unexpected/i);
    expect(() => parseBenchOptions(['--drain-events'], {})).toThrow(/argument missing|needs a value/i);
    expect(() => parseBenchOptions(['--drain-events=-3'], {})).toThrow(
      /Invalid bench options[\s\S]*drainEvents/,
    );
    expect(() => parseBenchOptions(['--only=drain,everything'], {})).toThrow(/Invalid bench options/);
  });
});

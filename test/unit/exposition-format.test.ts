import { describe, expect, test } from 'vitest';
import { checkExposition } from '../support/exposition-format.ts';

describe('checkExposition (the strict reading the /metrics test relies on)', () => {
  const valid = [
    '# HELP jobs_total Jobs done.',
    '# TYPE jobs_total counter',
    'jobs_total{queue="a"} 3',
    '# HELP latency_seconds Latency.',
    '# TYPE latency_seconds summary',
    'latency_seconds{quantile="0.5"} 0.1',
    'latency_seconds{quantile="0.99"} NaN',
    '# HELP size_bytes Sizes.',
    '# TYPE size_bytes histogram',
    'size_bytes_bucket{le="1"} 1',
    'size_bytes_bucket{le="+Inf"} 2',
    'size_bytes_sum 5',
    'size_bytes_count 2',
    '',
  ].join('\n');

  test('passes a well-formed exposition', () => {
    expect(checkExposition(valid)).toEqual([]);
  });

  test.each([
    [
      'a gauge with a quantile label',
      '# HELP lag_seconds L.\n# TYPE lag_seconds gauge\nlag_seconds{quantile="0.5"} 1\n',
      /only summaries/,
    ],
    ['a counter without _total', '# HELP jobs J.\n# TYPE jobs counter\njobs 1\n', /end in _total/],
    [
      'a gauge named like a counter',
      '# HELP open_total O.\n# TYPE open_total gauge\nopen_total 1\n',
      /only counters/,
    ],
    ['no HELP', '# TYPE up gauge\nup 1\n', /no HELP/],
    ['no TYPE', '# HELP up U.\nup 1\n', /without a TYPE/],
    ['a duplicate series', '# HELP up U.\n# TYPE up gauge\nup{a="1"} 1\nup{a="1"} 2\n', /duplicate series/],
    ['a bad value', '# HELP up U.\n# TYPE up gauge\nup one\n', /invalid value/],
    ['broken labels', '# HELP up U.\n# TYPE up gauge\nup{a=1} 1\n', /malformed labels/],
    [
      'a histogram without +Inf',
      '# HELP h_seconds H.\n# TYPE h_seconds histogram\nh_seconds_bucket{le="1"} 1\nh_seconds_count 1\n',
      /no le="\+Inf"/,
    ],
    [
      'a family split in two',
      '# HELP a A.\n# TYPE a gauge\na{x="1"} 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x="2"} 1\n',
      /appears again/,
    ],
  ])('finds %s', (_what, text, problem) => {
    expect(checkExposition(text).join('\n')).toMatch(problem);
  });
});

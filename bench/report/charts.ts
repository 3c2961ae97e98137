import type { BenchReport } from './bench-report.ts';
import { type BarGroup, groupedBarChart, type LineSeries, lineChart } from './svg-charts.ts';

export type Chart = { file: string; title: string; svg: string };

const percentileBars = (summary: { p50: number; p90: number; p99: number; max: number }) => [
  { label: 'p50', value: summary.p50 },
  { label: 'p90', value: summary.p90 },
  { label: 'p99', value: summary.p99 },
  { label: 'max', value: summary.max },
];

/** The report's charts, from whatever sections were measured. */
export function buildCharts(report: BenchReport): Chart[] {
  const charts: Chart[] = [];
  const { relayDrain, naiveBaseline, endToEndLatency, mutationThroughput, fanOut, scaleKnobs } =
    report.sections;
  const drainSeries: LineSeries[] = [];
  if (relayDrain.status === 'ok') drainSeries.push({ name: 'relay', points: relayDrain.result.relay.series });
  if (naiveBaseline.status === 'ok') {
    for (const variant of naiveBaseline.result.variants)
      drainSeries.push({ name: `naive (${variant.variant})`, points: variant.series });
  }
  if (drainSeries.length > 0) {
    const title = 'Drain throughput over time: relay vs naive baseline';
    charts.push({
      file: 'drain-throughput.svg',
      title,
      svg: lineChart({ title, xLabel: 'seconds since start', yLabel: 'events/s', series: drainSeries }),
    });
  }
  if (scaleKnobs.status === 'ok') {
    const knobs = [
      [
        'scale-instances.svg',
        'Drain throughput by relay instances',
        scaleKnobs.result.instances,
        (r: { instances: number }) => `${r.instances} instance(s)`,
      ],
      [
        'scale-batch-size.svg',
        'Drain throughput by OUTBOX_BATCH_SIZE',
        scaleKnobs.result.batchSizes,
        (r: { batchSize: number }) => `batch ${r.batchSize}`,
      ],
      [
        'scale-backlog.svg',
        'Drain throughput by backlog size',
        scaleKnobs.result.backlogSizes,
        (r: { events: number }) => `${r.events.toLocaleString('en-US')} events`,
      ],
    ] as const;
    for (const [file, title, runs, name] of knobs) {
      if (runs.length === 0) continue;
      const series = runs.map((run) => ({ name: name(run as never), points: run.series }));
      charts.push({
        file,
        title,
        svg: lineChart({ title, xLabel: 'seconds since resume', yLabel: 'events/s', series }),
      });
    }
  }
  const groups: BarGroup[] = [];
  if (endToEndLatency.status === 'ok') {
    const r = endToEndLatency.result;
    groups.push({ name: 'commit→ack', bars: percentileBars(r.commitToAck) });
    groups.push({ name: 'commit→marked', bars: percentileBars(r.commitToMarked) });
    groups.push({ name: 'commit→subscriber', bars: percentileBars(r.commitToSubscriber) });
  }
  if (mutationThroughput.status === 'ok') {
    groups.push({ name: 'createPet', bars: percentileBars(mutationThroughput.result.api.latency) });
    groups.push({ name: 'bare driver', bars: percentileBars(mutationThroughput.result.bareDriver.latency) });
  }
  if (fanOut.status === 'ok')
    groups.push({ name: 'fan-out delivery', bars: percentileBars(fanOut.result.latency) });
  if (groups.length > 0) {
    const title = 'Latency percentiles (log scale)';
    charts.push({
      file: 'latency-percentiles.svg',
      title,
      svg: groupedBarChart({ title, yLabel: 'milliseconds', groups }),
    });
  }
  if (endToEndLatency.status === 'ok') {
    const { series } = endToEndLatency.result;
    const title = 'Steady load: written, acknowledged by Kafka, delivered to the subscriber';
    charts.push({
      file: 'latency-throughput.svg',
      title,
      svg: lineChart({
        title,
        xLabel: 'seconds since the load began',
        yLabel: 'events/s',
        series: [
          { name: 'written (createPet answered)', points: series.written },
          { name: 'acknowledged (broker append time)', points: series.acknowledged },
          { name: 'delivered (eventPublished)', points: series.delivered },
        ],
      }),
    });
  }
  if (mutationThroughput.status === 'ok') {
    const { api, bareDriver } = mutationThroughput.result;
    const title = 'Mutation throughput over time';
    charts.push({
      file: 'mutation-throughput.svg',
      title,
      svg: lineChart({
        title,
        xLabel: 'seconds since the warm-up ended',
        yLabel: 'requests/s',
        series: [
          { name: 'createPet over HTTP', points: api.series },
          { name: 'bare pg driver', points: bareDriver.series },
        ],
      }),
    });
  }
  return charts;
}

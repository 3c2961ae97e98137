import type { CpuUsage } from '../infra/cpu-usage.ts';
import type { Percentiles } from '../lib/latency-histogram.ts';
import { formatBytes, formatCount, formatMs } from '../lib/progress.ts';
import type { DrainResult } from '../scenarios/relay-drain.ts';
import {
  type BenchReport,
  CONTEXT_TARGET,
  RSS_LIMIT_BYTES,
  SECTION_TITLES,
  type Section,
  type SectionName,
  type SummaryRow,
} from './bench-report.ts';

const table = (header: string[], rows: (string | number)[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

const rate = (value: number | null | undefined) =>
  value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : `${formatCount(value)}/s`;
const ratio = (value: number | null | undefined) =>
  value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}×`;
const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'yes' : '**no**');

function formatValue(row: SummaryRow): string {
  if (row.value === null) return 'n/a';
  switch (row.unit) {
    case 'events/s':
    case 'requests/s':
      return rate(row.value);
    case 'ms':
      return formatMs(row.value);
    case 'ratio':
      return ratio(row.value);
    case 'bytes':
      return formatBytes(row.value);
    default:
      return formatCount(row.value);
  }
}

/** "machine 97 % busy; server 1.21 cores, harness 0.30 cores" (of the machine's cores). */
export function cpuText(cpu: CpuUsage | undefined): string {
  if (!cpu) return 'n/a';
  const machine =
    cpu.machineBusyPercent === null ? 'machine n/a' : `machine ${cpu.machineBusyPercent.toFixed(0)} % busy`;
  const processes = Object.entries(cpu.processCores)
    .map(([name, cores]) => `${name} ${cores === null ? 'n/a' : `${cores.toFixed(2)} cores`}`)
    .join(', ');
  return processes ? `${machine}; ${processes}` : machine;
}

const percentileRow = (name: string, p: Percentiles) => [
  name,
  formatCount(p.count),
  formatMs(p.p50),
  formatMs(p.p90),
  formatMs(p.p99),
  formatMs(p.p999),
  formatMs(p.max),
];
const PERCENTILE_HEADER = ['', 'samples', 'p50', 'p90', 'p99', 'p99.9', 'max'];

function sectionBody<T>(section: Section<T>, render: (result: T) => string): string {
  if (section.status === 'ok') return render(section.result);
  if (section.status === 'skipped') return `_Skipped: ${section.reason}_`;
  return `**This scenario failed**, so it has no figures:\n\n\`\`\`\n${section.error}\n\`\`\``;
}

function drainTable(runs: DrainResult[], baseline: DrainResult | undefined): string {
  return table(
    [
      'run',
      'events',
      'instances',
      'batch',
      'drain time',
      'events/s',
      'steady (10–90 %)',
      'vs first row',
      'Kafka messages',
      'failed',
      'server peak RSS',
      'CPU while draining',
    ],
    runs.map((run) => [
      run.label,
      formatCount(run.events),
      run.instances,
      run.batchSize,
      `${run.drainSeconds.toFixed(2)} s`,
      rate(run.eventsPerSecond),
      run.steadyEventsPerSecond ? rate(run.steadyEventsPerSecond) : 'n/a',
      baseline ? ratio(run.eventsPerSecond / baseline.eventsPerSecond) : '',
      formatCount(run.kafkaMessages),
      run.failed,
      formatBytes(run.peakRssBytes.server),
      cpuText(run.cpu),
    ]),
  );
}

const chartsFor = (report: BenchReport, files: string[]) =>
  files
    .filter((file) => report.charts.includes(file))
    .map((file) => `![${file}](${file})`)
    .join('\n\n');

export function renderMarkdown(report: BenchReport): string {
  const { sections, machine } = report;
  const out: string[] = [];
  out.push('# petstore-outbox benchmark');
  out.push(
    report.mode === 'smoke'
      ? '> **Smoke run**: tiny sizes that only prove the harness works. These figures say nothing about performance.'
      : '> Full run. Every ratio compares two figures measured in this same run on this same machine.',
  );
  out.push(
    table(
      ['', ''],
      [
        ['started', report.startedAt],
        [
          'duration',
          `${(report.durationSeconds / 60).toFixed(1)} min (estimated ${(report.estimatedSeconds / 60).toFixed(1)} min)`,
        ],
        ['command', `\`${report.command}\``],
        ['relay batch size (all drains but the batch knob)', report.batchSize],
      ],
    ),
  );
  out.push('## Machine');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${machine.cpus} × ${machine.cpuModel}`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['OS', machine.os],
        ['Node.js', machine.node],
        ['PostgreSQL', machine.postgres],
        ['Kafka', machine.kafka],
        ['Java', machine.java],
        ['code', `${machine.gitCommit}${machine.gitDirty ? ' + uncommitted changes' : ''}`],
      ],
    ),
  );
  out.push(
    'PostgreSQL, Kafka, the service and the load generators all share these cores. CPU figures below: "machine" is the share of all cores busy (every process on the machine, anyone\'s), the named processes are this run\'s, in cores (1.00 = one core for the whole window); "postgres" counts the backends of the scenario\'s database plus the server\'s background processes.',
  );
  out.push('## Summary');
  out.push(
    table(
      ['metric', 'measured', 'compared with (same run)', 'target', 'met'],
      report.summary.map((r) => [
        r.metric,
        formatValue(r),
        r.reference ?? '',
        r.target,
        r.target === CONTEXT_TARGET ? '' : verdict(r.met),
      ]),
    ),
  );

  const render: Record<SectionName, () => string> = {
    relayDrain: () =>
      sectionBody(sections.relayDrain, ({ relay, producerLimit, ceilings }) => {
        const parts = [
          `A backlog of ${formatCount(relay.events)} events (${relay.payloadBytes}-byte JSON values, ${formatCount(relay.aggregates)} aggregates) is written while the relays are paused, then drained by ${relay.instances} relay instance(s) with OUTBOX_BATCH_SIZE=${relay.batchSize}. The clock runs from the resume to the last event marked published (each is marked after Kafka acknowledged it, acks=all). Writing the backlog took ${relay.backlogWriteSeconds.toFixed(1)} s.`,
          drainTable([relay], undefined),
        ];
        if (producerLimit.status === 'ok') {
          parts.push(
            `Kafka's own producer, same record count and size, same partition count: \`${producerLimit.command}\``,
          );
          parts.push(
            table(
              ['producer settings', 'records/s', 'MB/s', 'avg latency', 'p50', 'p99', 'relay ÷ this'],
              producerLimit.runs.map((run) => [
                run.producerProps.join(' '),
                rate(run.eventsPerSecond),
                run.mbPerSecond.toFixed(1),
                `${run.avgLatencyMs} ms`,
                `${run.p50Ms} ms`,
                `${run.p99Ms} ms`,
                ratio(relay.eventsPerSecond / run.eventsPerSecond),
              ]),
            ),
          );
          parts.push(
            `The relay's messages (KAFKA_MESSAGE_FORMAT=${relay.messageFormat}) also carry a key and their metadata, which ProducerPerformance's records do not; its kafkajs producer keeps one request in flight to preserve per-key order (second row: the Java client held to the same).`,
          );
        } else {
          parts.push(`Producer limit skipped: ${producerLimit.reason}`);
        }
        parts.push(
          `Ceilings of each half alone, same run, same ${formatCount(relay.events)} events and batch size: PostgreSQL alone runs the relay's claim transactions (claim, mark in the same transaction, two overlapping) with no broker; kafkajs alone sends the same events through the relay's publisher (same producer settings, two sends in flight) with no database, in each message format.`,
        );
        parts.push(
          table(
            ['ceiling', 'events/s', 'relay ÷ this', 'CPU'],
            [ceilings.postgres, ...ceilings.kafkajs].map((run) => [
              run.what,
              rate(run.eventsPerSecond),
              ratio(relay.eventsPerSecond / run.eventsPerSecond),
              cpuText(run.cpu),
            ]),
          ),
        );
        parts.push(chartsFor(report, ['drain-throughput.svg']));
        return parts.join('\n\n');
      }),
    naiveBaseline: () =>
      sectionBody(sections.naiveBaseline, ({ variants, relayEventsPerSecond }) =>
        [
          'Built to the design document\'s description (bench/naive/naive-relay.ts): every OUTBOX_POLLING_INTERVAL take OUTBOX_BATCH_SIZE unprocessed rows oldest first, publish them one at a time awaiting each acknowledgement (idempotent, acks=all, like the relay), and UPDATE each row on its own. "eager" skips the sleep after a full batch. Each drains the same backlog in a database of its own, for at most the cap, and its rate is taken over what it drained.',
          table(
            ['variant', 'batch', 'poll interval', 'drained', 'seconds', 'events/s', 'relay ÷ this'],
            variants.map((v) => [
              v.variant,
              v.batchSize,
              `${v.pollingIntervalSeconds} s`,
              `${formatCount(v.published)}/${formatCount(v.events)}${v.completed ? '' : ` (cap ${v.capSeconds} s)`}`,
              v.seconds.toFixed(1),
              rate(v.eventsPerSecond),
              relayEventsPerSecond ? ratio(relayEventsPerSecond / v.eventsPerSecond) : 'n/a',
            ]),
          ),
        ].join('\n\n'),
      ),
    endToEndLatency: () =>
      sectionBody(sections.endToEndLatency, (r) =>
        [
          `${r.topology}. Load: ${r.writer}, at ${rate(r.targetRate)} for ${r.seconds} s (achieved ${rate(r.achievedRate)}, ${formatCount(r.written)} transactions, ${r.writeErrors} errors${r.firstWriteError ? `: ${r.firstWriteError}` : ''}).${r.achievedRate < 0.9 * r.targetRate ? ' **The writer did not keep up with the target rate**: transactions queued, so the figures below include that queueing.' : ''}`,
          table(PERCENTILE_HEADER, [
            percentileRow('commit → Kafka ack (broker append time)', r.commitToAck),
            ...(r.startToAck
              ? [percentileRow('transaction start (created_at) → Kafka ack', r.startToAck)]
              : []),
            ...(r.committedToAck
              ? [
                  percentileRow(
                    'COMMIT acknowledged to the writer → Kafka ack (lower bound)',
                    r.committedToAck,
                  ),
                ]
              : []),
            percentileRow('commit → row marked published', r.commitToMarked),
            percentileRow('commit → eventPublished subscriber', r.commitToSubscriber),
            percentileRow('writer transaction round trip (client)', r.mutationLatency),
          ]),
          `Commit moment: ${r.commitBasis}. This PostgreSQL keeps no commit timestamps (track_commit_timestamp needs a restart), so the moment the outbox row was inserted stands in for it: the commit follows one COMMIT round trip later, so every figure from "commit" is an upper bound. The row with created_at measures from the transaction's start instead (the basis of earlier reports), which adds the writer's own statements. Not on Kafka after the grace period: ${r.missingOnKafka}; not at the subscriber: ${r.missingAtSubscriber}. CPU while the load ran: ${cpuText(r.cpu)}.${r.subscriptionErrors.length ? ` Subscription errors: ${r.subscriptionErrors.join('; ')}` : ''}`,
          chartsFor(report, ['latency-throughput.svg', 'latency-percentiles.svg']),
        ].join('\n\n'),
      ),
    mutationThroughput: () =>
      sectionBody(sections.mutationThroughput, (r) =>
        [
          `${r.concurrency} closed-loop clients for ${r.seconds} s after a ${r.warmupSeconds} s warm-up, the service's relay publishing meanwhile. The limit: the same transaction (pet row, outbox row, aggregate sequence) through the bare \`pg\` driver with ${r.concurrency} connections, on the same database with the same service running.`,
          table(
            ['', 'requests/s', 'p50', 'p90', 'p99', 'max', 'errors'],
            [
              [
                'createPet over HTTP',
                rate(r.api.requestsPerSecond),
                formatMs(r.api.latency.p50),
                formatMs(r.api.latency.p90),
                formatMs(r.api.latency.p99),
                formatMs(r.api.latency.max),
                `${r.api.errors}${r.api.firstError ? ` (${r.api.firstError})` : ''}`,
              ],
              [
                'bare pg driver',
                rate(r.bareDriver.requestsPerSecond),
                formatMs(r.bareDriver.latency.p50),
                formatMs(r.bareDriver.latency.p90),
                formatMs(r.bareDriver.latency.p99),
                formatMs(r.bareDriver.latency.max),
                `${r.bareDriver.errors}${r.bareDriver.firstError ? ` (${r.bareDriver.firstError})` : ''}`,
              ],
            ],
          ),
          `createPet ÷ bare driver: **${ratio(r.apiToBareDriver)}**. CPU during the createPet run: ${cpuText(r.api.cpu)}; during the bare-driver run: ${cpuText(r.bareDriver.cpu)}.`,
          chartsFor(report, ['mutation-throughput.svg']),
        ].join('\n\n'),
      ),
    fanOut: () =>
      sectionBody(sections.fanOut, (r) =>
        [
          `${formatCount(r.subscribers)} graphql-ws subscribers (one WebSocket each, in a process of their own) on eventPublished of the API server (OUTBOX_RELAY_ENABLED=false; the relay runs as its own process) while createPet runs at ${rate(r.targetRate)} for ${r.seconds} s (achieved ${rate(r.achievedRate)}, ${r.writeErrors} errors).`,
          table(PERCENTILE_HEADER, [
            percentileRow('createPet during the fan-out, sent → answered', r.writeLatency),
          ]),
          table(
            [
              'expected deliveries',
              'delivered',
              'missed',
              'subscribers missing any',
              'duplicates',
              'out of order',
            ],
            [
              [
                formatCount(r.expectedDeliveries),
                formatCount(r.deliveries),
                formatCount(r.missed),
                r.subscribersMissingEvents,
                formatCount(r.duplicates),
                // Reports from before the order was checked have no figure.
                r.outOfOrder === undefined ? 'n/a' : formatCount(r.outOfOrder),
              ],
            ],
          ),
          table(PERCENTILE_HEADER, [percentileRow('created_at → subscriber', r.latency)]),
          `Latency is from the event's created_at (its transaction's start, to the millisecond, as the subscription carries it) to its arrival. Subscribers' process peak RSS: ${formatBytes(r.subscriberProcessPeakRssBytes)}. CPU from the start of the load to the last delivery: ${cpuText(r.cpu)}.${r.firstWriteError ? ` First createPet error: ${r.firstWriteError}.` : ''}${r.firstErrors.length ? ` Errors: ${r.firstErrors.join('; ')}` : ''}`,
        ].join('\n\n'),
      ),
    memory: () =>
      sectionBody(sections.memory, ({ limitBytes, entries }) =>
        [
          'Peak resident set size (Linux VmHWM, kept by the kernel, so no spike is missed) of each process, read just before it was stopped. "server" is the service process (`node dist/main.js` with the V8 flags of scripts/lib/service-node-flags.ts: the production build as `npm run serve` runs it, with API, live feed and embedded relay). Its event-loop delay (`petstore_event_loop_delay_*_seconds{window="process"}` from its /metrics: how late a timer due every 10 ms ran, over the process\'s life, its start-up included) is read at the end of the load (in the mutation scenario, before the bare-driver phase, which leaves the server idle).',
          table(
            [
              'scenario',
              'process',
              'idle RSS',
              'peak RSS',
              `≤ ${formatBytes(limitBytes)}`,
              'at the end: RSS / V8 heap total / heap used / external',
              'event-loop delay p99 / max',
            ],
            entries.map((e) => [
              e.scenario,
              e.process,
              e.idleRssBytes === undefined ? '' : formatBytes(e.idleRssBytes),
              formatBytes(e.peakRssBytes),
              e.peakRssBytes === null ? 'n/a' : e.peakRssBytes <= limitBytes ? 'yes' : '**no**',
              e.heap
                ? [e.heap.rssBytes, e.heap.heapTotalBytes, e.heap.heapUsedBytes, e.heap.externalBytes]
                    .map(formatBytes)
                    .join(' / ')
                : '',
              e.eventLoopDelay
                ? `${formatMs(e.eventLoopDelay.p99Seconds * 1000)} / ${formatMs(e.eventLoopDelay.maxSeconds * 1000)}`
                : '',
            ]),
          ),
        ].join('\n\n'),
      ),
    scaleKnobs: () =>
      sectionBody(sections.scaleKnobs, (r) => {
        const parts: string[] = [];
        if (r.instances.length > 0) {
          const entry = r.instances.find((run) => run.extraRelayEntry)?.extraRelayEntry;
          parts.push(
            `### Relay instances\n\n${drainTable(r.instances, r.instances[0])}${entry ? `\n\nExtra instances ran \`${entry}\`${entry === 'src/main.ts' ? ' (src/relay-main.ts did not exist yet: each extra instance is a whole service process)' : ''}.` : ''}`,
          );
          const drain = sections.relayDrain.status === 'ok' ? sections.relayDrain.result : null;
          if (drain) {
            const kafkajs = drain.ceilings.kafkajs.find((run) => run.format === drain.relay.messageFormat);
            const producer = drain.producerLimit.status === 'ok' ? drain.producerLimit.runs[0] : undefined;
            parts.push(
              `Each instance count against the ceilings of section 1 (same run, same batch size):\n\n${table(
                [
                  'instances',
                  'events/s',
                  '÷ PostgreSQL alone',
                  `÷ kafkajs alone (${drain.relay.messageFormat})`,
                  '÷ ProducerPerformance',
                ],
                r.instances.map((run) => [
                  run.instances,
                  rate(run.eventsPerSecond),
                  ratio(run.eventsPerSecond / drain.ceilings.postgres.eventsPerSecond),
                  kafkajs ? ratio(run.eventsPerSecond / kafkajs.eventsPerSecond) : 'n/a',
                  producer ? ratio(run.eventsPerSecond / producer.eventsPerSecond) : 'n/a',
                ]),
              )}`,
            );
          }
        }
        if (r.batchSizes.length > 0)
          parts.push(`### OUTBOX_BATCH_SIZE\n\n${drainTable(r.batchSizes, r.batchSizes[0])}`);
        if (r.backlogSizes.length > 0)
          parts.push(`### Backlog size (the cost curve)\n\n${drainTable(r.backlogSizes, r.backlogSizes[0])}`);
        if (r.errors.length > 0)
          parts.push(`Failed runs:\n\n${r.errors.map((e) => `- ${e.label}: ${e.error}`).join('\n')}`);
        parts.push(chartsFor(report, ['scale-instances.svg', 'scale-batch-size.svg', 'scale-backlog.svg']));
        return parts.join('\n\n');
      }),
  };
  for (const name of Object.keys(SECTION_TITLES) as SectionName[]) {
    out.push(`## ${SECTION_TITLES[name]}`);
    out.push(render[name]());
  }
  out.push(`---\nRaw figures: report.json. RSS limit: ${formatBytes(RSS_LIMIT_BYTES)}.`);
  return `${out.join('\n\n')}\n`;
}

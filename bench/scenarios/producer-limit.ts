import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { ensureKafkaLib } from '../../scripts/kafka/broker.ts';
import { formatRate } from '../lib/progress.ts';
import { type BenchContext, topicPrefixFor } from './bench-context.ts';

const execFileAsync = promisify(execFile);

export type ProducerLimitRun = {
  /** The producer settings beyond bootstrap.servers. */
  producerProps: string[];
  records: number;
  recordBytes: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
  /** The tool's own summary line, verbatim. */
  summary: string;
};

export type ProducerLimitResult =
  | { status: 'ok'; command: string; runs: ProducerLimitRun[] }
  | { status: 'skipped'; reason: string };

// "200000 records sent, 123456.7 records/sec (58.87 MB/sec), 12.34 ms avg latency, 345.00 ms max latency, 10 ms 50th, 30 ms 95th, 40 ms 99th, 50 ms 99.9th."
const SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/;

/**
 * The broker's own producer limit on this machine: Kafka's ProducerPerformance tool (kafka-tools jar,
 * the Java client), same record count and size as the drain, acks=all with idempotence, into a fresh
 * topic with the same partition count. Run with the Java client's defaults (5 requests in flight per
 * connection, which the Java client can afford while keeping order) and with one in flight, which is
 * what the relay's kafkajs producer must use to keep per-key order.
 */
export async function measureProducerLimit(
  context: BenchContext,
  { records, recordBytes }: { records: number; recordBytes: number },
): Promise<ProducerLimitResult> {
  // The broker in use may have been started elsewhere: fetch the jars (kafka-tools among them) if missing.
  const lib = await ensureKafkaLib();
  const jar = readdirSync(lib).find((name) => /^kafka-tools-\d.*\.jar$/.test(name));
  if (!jar) throw new Error(`no kafka-tools jar in ${lib}: infra/kafka/pom.xml should fetch it`);
  const variants = [
    ['acks=all', 'enable.idempotence=true'],
    ['acks=all', 'enable.idempotence=true', 'max.in.flight.requests.per.connection=1'],
  ];
  const runs: ProducerLimitRun[] = [];
  let command = '';
  for (const props of variants) {
    const topic = `${topicPrefixFor('producer-perf')}`;
    await context.kafkaTopics.create([topic], { partitions: context.serviceDefaults.topicPartitions });
    const args = [
      '-cp',
      `${lib}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${context.brokers.join(',')}`,
      ...props,
    ];
    command ||= `java ${args.map((arg) => (arg.includes('*') ? `'${arg}'` : arg)).join(' ')}`;
    try {
      const { stdout } = await execFileAsync('java', args, { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
      const summary =
        stdout
          .trim()
          .split('\n')
          .filter((line) => SUMMARY.test(line))
          .at(-1) ?? '';
      const match = SUMMARY.exec(summary);
      if (!match) throw new Error(`unexpected ProducerPerformance output:\n${stdout.slice(-2000)}`);
      const number = (index: number) => Number(match[index]);
      runs.push({
        producerProps: props,
        records,
        recordBytes,
        eventsPerSecond: number(2),
        mbPerSecond: number(3),
        avgLatencyMs: number(4),
        maxLatencyMs: number(5),
        p50Ms: number(6),
        p99Ms: number(8),
        summary: summary.trim(),
      });
      context.progress.say(
        `producer limit (${props.slice(2).join(' ') || 'Java defaults'}): ${formatRate(number(2))}`,
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        return { status: 'skipped', reason: 'java is not installed (the broker needs it too)' };
      throw error;
    } finally {
      await context.kafkaTopics.delete([topic]).catch(() => {});
    }
  }
  return { status: 'ok', command, runs };
}

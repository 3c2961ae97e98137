import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BenchDatabases } from '../infra/bench-databases.ts';
import type { KafkaTopics } from '../infra/kafka-topics.ts';
import type { Progress } from '../lib/progress.ts';
import type { BenchOptions } from '../options.ts';

/** What every scenario needs: the options, the shared infrastructure, and where to put files. */
export type BenchContext = {
  options: BenchOptions;
  databases: BenchDatabases;
  kafkaTopics: KafkaTopics;
  brokers: string[];
  progress: Progress;
  /** Service processes log here, one file each. */
  logsDir: string;
  /** --cpu-prof output, when asked for. */
  profilesDir: string | undefined;
  /** The service's defaults (src/config/env.ts), for the settings a scenario does not vary. */
  serviceDefaults: { batchSize: number; pollingIntervalSeconds: number; topicPartitions: number };
  /** Registered by scenarios so an interrupted run still stops its processes and drops its topics. */
  onCleanup(task: () => Promise<unknown>): () => void;
};

export function topicPrefixFor(label: string): string {
  return `bench-${label.replace(/[^a-zA-Z0-9]+/g, '-')}-${randomBytes(3).toString('hex')}`;
}

export function logFileFor(context: BenchContext, name: string): string {
  return join(context.logsDir, `${name.replace(/[^a-zA-Z0-9.-]+/g, '-')}.log`);
}

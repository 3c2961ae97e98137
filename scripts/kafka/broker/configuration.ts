import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileAsync, failureOutput } from '../../lib/process/exec.ts';
import { infraDir, KAFKA_HOST, type KafkaPaths, majorOf } from './instance.ts';
import { formattedVersion } from './state-files.ts';

function serverProperties(version: string, p: KafkaPaths): string {
  const { port, controllerPort } = p.instance;
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${KAFKA_HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${KAFKA_HOST}:${port},CONTROLLER://${KAFKA_HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${KAFKA_HOST}:${port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': p.kraftDir,
    'num.partitions': 3,
    // Single node: every internal topic must live with one replica.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    // Fast tests: one partition per internal topic, and no 3 s wait before the first group rebalance.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
  };
  if (majorOf(version) >= 4) {
    props['share.coordinator.state.topic.replication.factor'] = 1;
    props['share.coordinator.state.topic.min.isr'] = 1;
    props['share.coordinator.state.topic.num.partitions'] = 1;
  }
  const lines = Object.entries(props).map(([key, value]) => `${key}=${value}`);
  return `# Written by scripts/kafka/broker/configuration.ts; edits are overwritten on the next start.\n${lines.join('\n')}\n`;
}

export function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** JVM flags shared by the broker and StorageTool: classpath and where/how to log. */
export function jvmFlags(version: string, p: KafkaPaths): string[] {
  const logging =
    majorOf(version) >= 4
      ? `-Dlog4j2.configurationFile=${path.join(infraDir, 'log4j2.properties')}`
      : `-Dlog4j.configuration=file:${path.join(infraDir, 'log4j.properties')}`;
  return ['-Djava.awt.headless=true', logging, `-Dkafka.logs.dir=${p.data}`, '-cp', `${p.lib}/*`];
}

/** Formats the KRaft data dir once per version; rewrites server.properties every time (cheap, picks up edits). */
/**
 * A KRaft cluster id as `kafka-storage random-uuid` makes one: 16 random bytes in URL-safe base64
 * (22 characters). Like Kafka's own Uuid.randomUuid(), never one that starts with '-': the storage
 * tool's argument parser takes `-t -xyz…` for an option and refuses to format (a CI run failed so;
 * one id in 64 starts with '-').
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function ensureFormatted(
  version: string,
  p: KafkaPaths,
  log: (line: string) => void,
): Promise<void> {
  const formatted = formattedVersion(p);
  if (formatted !== undefined && formatted !== version) {
    // Metadata written by one Kafka line is not guaranteed to load in another (downgrades fail): start over.
    log(`data dir was formatted by Kafka ${formatted}; wiping it for Kafka ${version}`);
    fs.rmSync(p.data, { recursive: true, force: true });
  }
  fs.mkdirSync(p.data, { recursive: true });
  fs.writeFileSync(p.props, serverProperties(version, p));
  if (formatted === version) return;

  fs.rmSync(p.kraftDir, { recursive: true, force: true });
  const clusterId = newClusterId();
  const args = [...jvmFlags(version, p), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', p.props];
  try {
    await execFileAsync(javaBin(), args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`Kafka StorageTool format failed:\n${failureOutput(err)}`);
  }
  fs.writeFileSync(p.formattedMarker, `${version}\n`);
}

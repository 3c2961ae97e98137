import path from 'node:path';
import { DEFAULT_KAFKA_BROKER } from '../../../src/config/default-urls.ts';
import { displayPath, repoRoot } from '../../lib/repo-path.ts';

const defaultBroker = new URL(`kafka://${DEFAULT_KAFKA_BROKER}`);
export const KAFKA_HOST = defaultBroker.hostname; // never "localhost": Node tries ::1 first, the broker listens on IPv4
export const KAFKA_PORT = Number(defaultBroker.port);
export const KAFKA_BROKER = DEFAULT_KAFKA_BROKER;
export const DEFAULT_KAFKA_VERSION = '4.4.0';
export const infraDir = path.join(repoRoot, 'infra', 'kafka');

/** Which broker: the shared default (9092, <repo>/.kafka) unless told otherwise. */
export interface BrokerInstance {
  port?: number;
  /** The KRaft controller listener; default: a port free when the broker starts. */
  controllerPort?: number;
  /** Data dir, logs and pid file; relative to the repo root. Default $KAFKA_HOME_DIR or .kafka. */
  homeDir?: string;
}

export type ResolvedInstance = {
  port: number;
  /** Known once the broker is being started. */
  controllerPort: number | undefined;
  broker: string;
  homeDir: string | undefined;
};

export function resolveInstance(instance: BrokerInstance = {}): ResolvedInstance {
  const port = instance.port ?? KAFKA_PORT;
  return {
    port,
    controllerPort: instance.controllerPort,
    broker: `${KAFKA_HOST}:${port}`,
    homeDir: instance.homeDir,
  };
}

export function kafkaPaths(version: string, instance: ResolvedInstance = resolveInstance()) {
  const defaultHome = path.resolve(repoRoot, process.env.KAFKA_HOME_DIR ?? '.kafka');
  const home = instance.homeDir ? path.resolve(repoRoot, instance.homeDir) : defaultHome;
  const data = path.join(home, 'data');
  return {
    home,
    instance,
    // Jars are the same for every instance: one download, in the default home.
    lib: path.join(defaultHome, `lib-${version}`),
    data,
    kraftDir: path.join(data, 'kraft'), // log.dirs: partitions and the metadata log
    props: path.join(data, 'server.properties'),
    formattedMarker: path.join(data, 'formatted-version'),
    serverLog: path.join(data, 'server.log'),
    jvmLog: path.join(data, 'jvm.log'), // JVM stdout/stderr: crashes before logging is up land here
    pidFile: path.join(home, 'broker.pid'),
  };
}
export type KafkaPaths = ReturnType<typeof kafkaPaths>;

export function resolveVersion(version?: string): string {
  return version ?? process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
}

export function majorOf(version: string): number {
  return Number.parseInt(version, 10); // parseInt stops at the first dot
}

/** Where the broker's logs are (repo-relative when inside the repo): Kafka's own, and the JVM's stdout/stderr. */
export function kafkaLogFiles(instance?: BrokerInstance): { serverLog: string; jvmLog: string } {
  const p = kafkaPaths(resolveVersion(), resolveInstance(instance));
  return { serverLog: displayPath(p.serverLog), jvmLog: displayPath(p.jvmLog) };
}

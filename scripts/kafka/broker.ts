/**
 * Runs a real single-node Apache Kafka broker (KRaft: broker and controller in one JVM) without Docker.
 * The jars come from Maven Central through infra/kafka/pom.xml; jars, data and logs live under .kafka/
 * at the repo root. Used by the CLI (scripts/kafka.ts), the vitest globalSetup, and tests that stop and
 * restart the broker mid-test (data is kept across stop/start, so a restart is a warm boot).
 *
 * Env: KAFKA_VERSION (default DEFAULT_KAFKA_VERSION), KAFKA_HOME_DIR (default <repo>/.kafka), JAVA_HOME.
 *
 * Every function takes an optional `BrokerInstance` ({ port, controllerPort, homeDir }) to manage a second,
 * dedicated broker beside the shared one on 127.0.0.1:9092: e.g. a test that stops its broker mid-test
 * (test/outbox/broker-outage.test.ts) runs its own on a free port so other users of 9092 are not disturbed.
 * A dedicated broker keeps its data and pid file in its own home dir and shares the jars of the default one.
 * The controller listener is internal to the broker: unless given, it takes a port that is free at start.
 */
import fs from 'node:fs';
import { freePort } from '../lib/free-port.ts';
import { fileSize } from '../lib/process/log-file.ts';
import { signalAndWait } from '../lib/process/process-alive.ts';
import { ensureFormatted } from './broker/configuration.ts';
import {
  type BrokerInstance,
  KAFKA_HOST,
  kafkaPaths,
  resolveInstance,
  resolveVersion,
} from './broker/instance.ts';
import { ensureJars } from './broker/jars.ts';
import { assertPortsFree, bootFailureReport, launch } from './broker/launch.ts';
import { isKafkaUp, waitUntilReady, warmUp } from './broker/readiness.ts';
import { formattedVersion, isBrokerAlive, managedPid } from './broker/state-files.ts';

export {
  type BrokerInstance,
  DEFAULT_KAFKA_VERSION,
  KAFKA_BROKER,
  kafkaLogFiles,
} from './broker/instance.ts';
export { isKafkaUp } from './broker/readiness.ts';

/**
 * The directory of this version's jars (broker and kafka-tools), fetched with mvn first if missing; for
 * tools that run Kafka's own classes (the benchmark's ProducerPerformance) beside a broker started elsewhere.
 */
export async function ensureKafkaLib(
  version = resolveVersion(),
  log: (line: string) => void = () => {},
): Promise<string> {
  const paths = kafkaPaths(version);
  await ensureJars(version, paths, log);
  return paths.lib;
}

export interface StartKafkaOptions extends BrokerInstance {
  /** Kafka release to run; default $KAFKA_VERSION or DEFAULT_KAFKA_VERSION. */
  version?: string;
  /** Stop our broker (if running) and wipe the data dir before starting. */
  fresh?: boolean;
  /** How long to wait for the broker to accept clients. */
  timeoutMs?: number;
  /** Progress lines for slow steps (jar download, format); silent by default. */
  log?: (line: string) => void;
}

export interface StartKafkaResult {
  action: 'started' | 'already-running';
  broker: string;
  /** Version of the broker we manage; unknown when someone else's broker answered. */
  version?: string;
  pid?: number;
  ms: number;
}

export interface StopKafkaResult {
  /** not-managed: a broker answers but was not started by this module (e.g. docker-compose). */
  action: 'stopped' | 'killed' | 'not-running' | 'not-managed';
  pid?: number;
  ms: number;
}

export interface KafkaStatus {
  up: boolean;
  broker: string;
  /** Pid of the broker JVM this module started, if it is alive. */
  pid?: number;
  version?: string;
}

export async function kafkaStatus(instance?: BrokerInstance): Promise<KafkaStatus> {
  // The data dir is shared by all versions, so any version's paths find the pid file and marker.
  const p = kafkaPaths(resolveVersion(), resolveInstance(instance));
  const pid = managedPid(p);
  return {
    up: await isKafkaUp(instance),
    broker: p.instance.broker,
    pid,
    version: pid !== undefined ? formattedVersion(p) : undefined,
  };
}

/**
 * Makes sure a broker answers on 127.0.0.1:9092 (or the instance's port): a no-op when one already does
 * (ours or anyone's), otherwise fetches jars (first time), formats the data dir (first time) and boots the JVM.
 */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<StartKafkaResult> {
  const started = Date.now();
  const version = resolveVersion(opts.version);
  const log = opts.log ?? (() => {});
  const instance = resolveInstance(opts);
  const p = kafkaPaths(version, instance);
  const elapsed = () => Date.now() - started;
  const { broker } = instance;

  if (opts.fresh) await resetKafka(opts);

  let pid = managedPid(p);
  const running = pid !== undefined ? formattedVersion(p) : undefined;
  if (running !== undefined && running !== version) {
    log(`note: the running broker is Kafka ${running}, not ${version}; leaving it as is`);
  }
  if (await isKafkaUp(opts)) {
    // Ours or anyone's (e.g. docker-compose's): either way there is nothing to do.
    return { action: 'already-running', broker, version: running, pid, ms: elapsed() };
  }
  if (pid !== undefined) {
    // Ours, alive but not answering yet: still booting (a parallel caller started it), so wait for it.
    await waitUntilReady(pid, undefined, opts.timeoutMs ?? 120_000, instance);
    await warmUp(instance);
    return { action: 'already-running', broker, version: running, pid, ms: elapsed() };
  }

  instance.controllerPort ??= await freePort(KAFKA_HOST);
  await assertPortsFree(instance);
  await ensureJars(version, p, log);
  await ensureFormatted(version, p, log);
  const [serverLogFrom, jvmLogFrom] = [fileSize(p.serverLog), fileSize(p.jvmLog)];
  const child = await launch(version, p);
  pid = child.pid;
  try {
    await waitUntilReady(pid, child, opts.timeoutMs ?? 120_000, instance);
    await warmUp(instance);
  } catch (err) {
    await stopKafka({ ...opts, timeoutMs: 5000 }).catch(() => {});
    throw new Error(`${(err as Error).message}\n${bootFailureReport(p, serverLogFrom, jvmLogFrom)}`);
  }
  return { action: 'started', broker, version, pid, ms: elapsed() };
}

/** SIGTERMs the broker this module started and waits for it to exit (SIGKILL after timeoutMs). Keeps data. */
export async function stopKafka(
  opts: BrokerInstance & { timeoutMs?: number } = {},
): Promise<StopKafkaResult> {
  const started = Date.now();
  const p = kafkaPaths(resolveVersion(), resolveInstance(opts));
  const pid = managedPid(p);
  if (pid === undefined) {
    const action = (await isKafkaUp(opts)) ? 'not-managed' : 'not-running';
    return { action, ms: Date.now() - started };
  }
  let action: StopKafkaResult['action'] = 'stopped';
  const alive = () => isBrokerAlive(pid);
  if (!(await signalAndWait(pid, 'SIGTERM', alive, opts.timeoutMs ?? 30_000))) {
    action = 'killed';
    await signalAndWait(pid, 'SIGKILL', alive, 10_000);
  }
  fs.rmSync(p.pidFile, { force: true });
  return { action, pid, ms: Date.now() - started };
}

/**
 * SIGKILLs the broker this module started, as a crash or an OOM kill would end it: no controlled
 * shutdown, so the next start recovers its logs. Keeps data. For fault tests.
 */
export async function killKafka(opts: BrokerInstance = {}): Promise<StopKafkaResult> {
  const started = Date.now();
  const p = kafkaPaths(resolveVersion(), resolveInstance(opts));
  const pid = managedPid(p);
  if (pid === undefined) return { action: 'not-running', ms: Date.now() - started };
  await signalAndWait(pid, 'SIGKILL', () => isBrokerAlive(pid), 10_000);
  fs.rmSync(p.pidFile, { force: true });
  return { action: 'killed', pid, ms: Date.now() - started };
}

export async function restartKafka(opts: StartKafkaOptions = {}): Promise<StartKafkaResult> {
  await stopKafka(opts);
  return startKafka(opts);
}

/** Stops our broker and deletes the data dir (topics, offsets, cluster id); jars stay cached. */
export async function resetKafka(instance?: BrokerInstance): Promise<void> {
  const p = kafkaPaths(resolveVersion(), resolveInstance(instance));
  await stopKafka(instance);
  fs.rmSync(p.data, { recursive: true, force: true });
}

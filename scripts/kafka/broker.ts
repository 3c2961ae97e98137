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
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '../lib/free-port.ts';
import { portInUse } from '../lib/port-in-use.ts';

export const KAFKA_HOST = '127.0.0.1'; // never "localhost": Node tries ::1 first, the broker listens on IPv4
export const KAFKA_PORT = 9092;
export const KAFKA_BROKER = `${KAFKA_HOST}:${KAFKA_PORT}`;
export const DEFAULT_KAFKA_VERSION = '4.4.0';

/** Which broker: the shared default (9092, <repo>/.kafka) unless told otherwise. */
export interface BrokerInstance {
  port?: number;
  /** The KRaft controller listener; default: a port free when the broker starts. */
  controllerPort?: number;
  /** Data dir, logs and pid file; relative to the repo root. Default $KAFKA_HOME_DIR or .kafka. */
  homeDir?: string;
}

type ResolvedInstance = {
  port: number;
  /** Known once the broker is being started. */
  controllerPort: number | undefined;
  broker: string;
  homeDir: string | undefined;
};

function resolveInstance(instance: BrokerInstance = {}): ResolvedInstance {
  const port = instance.port ?? KAFKA_PORT;
  return {
    port,
    controllerPort: instance.controllerPort,
    broker: `${KAFKA_HOST}:${port}`,
    homeDir: instance.homeDir,
  };
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const infraDir = path.join(repoRoot, 'infra', 'kafka');
const execFileAsync = promisify(execFile);

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

function kafkaPaths(version: string, instance: ResolvedInstance = resolveInstance()) {
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
type KafkaPaths = ReturnType<typeof kafkaPaths>;

/** Repo-relative when inside the repo (short log lines), absolute otherwise. */
function display(file: string): string {
  const rel = path.relative(repoRoot, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function resolveVersion(version?: string): string {
  return version ?? process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
}

function majorOf(version: string): number {
  return Number.parseInt(version, 10); // parseInt stops at the first dot
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// Probing

/** True when a Kafka broker answers a Metadata request on 127.0.0.1:9092 or the instance's port (ours or anyone's). */
export async function isKafkaUp(instance?: BrokerInstance): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'kafka-probe',
    brokers: [resolveInstance(instance).broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * The first client calls after a boot hit transient errors that kafkajs retries but logs at ERROR: the
 * idempotent producer's InitProducerId ("coordinator is loading" until the broker gets a producer-id block)
 * and the first FindCoordinator ("group coordinator not available" until __consumer_offsets exists).
 * Absorb them here, silently, so callers get a broker that is ready for the project's clients.
 */
async function warmUp(instance: ResolvedInstance): Promise<void> {
  const kafka = new Kafka({
    clientId: 'kafka-warmup',
    brokers: [instance.broker],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const admin = kafka.admin();
  try {
    await producer.connect(); // InitProducerId
    await admin.connect();
    await admin.describeGroups(['kafka-warmup']); // FindCoordinator
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

function readPid(p: KafkaPaths): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(p.pidFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A pid file can outlive its broker and the pid be reused; on Linux make sure it is still a Kafka JVM.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return true; // no /proc (macOS): trust the pid file
  }
}

/** Pid of the broker this module started, if still alive; removes a stale pid file. */
function managedPid(p: KafkaPaths): number | undefined {
  const pid = readPid(p);
  if (pid === undefined) return undefined;
  if (isAlive(pid)) return pid;
  fs.rmSync(p.pidFile, { force: true });
  return undefined;
}

function formattedVersion(p: KafkaPaths): string | undefined {
  try {
    return fs.readFileSync(p.formattedMarker, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where the broker's logs are (repo-relative when inside the repo): Kafka's own, and the JVM's stdout/stderr. */
export function kafkaLogFiles(instance?: BrokerInstance): { serverLog: string; jvmLog: string } {
  const p = kafkaPaths(resolveVersion(), resolveInstance(instance));
  return { serverLog: display(p.serverLog), jvmLog: display(p.jvmLog) };
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

// ---------------------------------------------------------------------------------------------------------
// Preparing: jars and the data directory

async function ensureJars(version: string, p: KafkaPaths, log: (line: string) => void): Promise<void> {
  if (fs.existsSync(path.join(p.lib, `kafka_2.13-${version}.jar`))) return;
  log(`fetching Kafka ${version} jars with mvn into ${display(p.lib)}/ ...`);
  // Copy into a temp dir and rename, so an interrupted download never looks like a complete one.
  const tmp = `${p.lib}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const args = [
    '-B',
    '-q',
    '-f',
    path.join(infraDir, 'pom.xml'),
    `-Dkafka.version=${version}`,
    // 3.x logs through reload4j, 4.x through log4j2 (the pom's default profile).
    ...(majorOf(version) < 4 ? ['-Preload4j'] : []),
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${tmp}`,
  ];
  try {
    await execFileAsync('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    // mvn 3.8 leaves ANSI codes in its output even with -B.
    const output = stripVTControlCharacters(`${e.stdout ?? ''}${e.stderr ?? ''}`).trim() || e.message;
    throw new Error(`mvn could not fetch Kafka ${version}:\n${output}`);
  }
  fs.rmSync(p.lib, { recursive: true, force: true });
  fs.renameSync(tmp, p.lib);
}

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
  return `# Written by scripts/kafka/broker.ts; edits are overwritten on the next start.\n${lines.join('\n')}\n`;
}

function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** JVM flags shared by the broker and StorageTool: classpath and where/how to log. */
function jvmFlags(version: string, p: KafkaPaths): string[] {
  const logging =
    majorOf(version) >= 4
      ? `-Dlog4j2.configurationFile=${path.join(infraDir, 'log4j2.properties')}`
      : `-Dlog4j.configuration=file:${path.join(infraDir, 'log4j.properties')}`;
  return ['-Djava.awt.headless=true', logging, `-Dkafka.logs.dir=${p.data}`, '-cp', `${p.lib}/*`];
}

/** Formats the KRaft data dir once per version; rewrites server.properties every time (cheap, picks up edits). */
async function ensureFormatted(version: string, p: KafkaPaths, log: (line: string) => void): Promise<void> {
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
  const clusterId = randomBytes(16).toString('base64url');
  const args = [...jvmFlags(version, p), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', p.props];
  try {
    await execFileAsync(javaBin(), args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`Kafka StorageTool format failed:\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`);
  }
  fs.writeFileSync(p.formattedMarker, `${version}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Starting and stopping

/** Starts the broker JVM detached (own process group, no stdio ties), so it outlives the calling process. */
async function launch(version: string, p: KafkaPaths): Promise<ChildProcess & { pid: number }> {
  const out = fs.openSync(p.jvmLog, 'a');
  try {
    const child = spawn(
      javaBin(),
      ['-Xmx512m', '-Xms512m', '-XX:+UseG1GC', ...jvmFlags(version, p), 'kafka.Kafka', p.props],
      { cwd: p.data, detached: true, stdio: ['ignore', out, out] },
    );
    child.unref();
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`could not run ${javaBin()}: ${err.message}`)));
    });
    fs.writeFileSync(p.pidFile, `${child.pid}\n`);
    return child as ChildProcess & { pid: number };
  } finally {
    fs.closeSync(out);
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Lines written to file since byte offset `from` (the whole file if it was rotated meanwhile). */
function linesSince(file: string, from: number): string[] {
  try {
    const text = fs.readFileSync(file);
    return text
      .subarray(from <= text.length ? from : 0)
      .toString('utf8')
      .trimEnd()
      .split('\n');
  } catch {
    return [];
  }
}

/**
 * What went wrong in this boot: its ERROR/FATAL lines with the exception message under each (the shutdown
 * that follows a fatal error fills the tail with noise), then the last lines of the log and of JVM output.
 */
function bootFailureReport(p: KafkaPaths, serverLogFrom: number, jvmLogFrom: number): string {
  const lines = linesSince(p.serverLog, serverLogFrom);
  const errors = lines.flatMap((line, i) => {
    if (!/^\[[^\]]+\] (ERROR|FATAL) /.test(line)) return [];
    const next = lines[i + 1] ?? '';
    return next && !next.startsWith('[') && !/^\s+at /.test(next) ? [line, `    ${next}`] : [line];
  });
  return [
    `--- errors in ${display(p.serverLog)} ---`,
    ...(errors.length ? errors.slice(0, 16) : ['(none)']),
    `--- tail of ${display(p.serverLog)} ---`,
    ...lines.slice(-10),
    `--- tail of ${display(p.jvmLog)} ---`,
    ...linesSince(p.jvmLog, jvmLogFrom).slice(-15),
  ].join('\n');
}

/** Fail fast with a clear message instead of booting a JVM that dies on "Address already in use". */
async function assertPortsFree(instance: ResolvedInstance): Promise<void> {
  for (const port of [instance.port, instance.controllerPort]) {
    if (port !== undefined && (await portInUse(KAFKA_HOST, port))) {
      throw new Error(
        `${KAFKA_HOST}:${port} is taken by a process that does not answer as a Kafka broker; ` +
          `free it (ss -ltnp 'sport = :${port}') and retry`,
      );
    }
  }
}

/** Polls until the broker answers clients; fails early if the JVM exits. */
async function waitUntilReady(
  pid: number,
  child: ChildProcess | undefined,
  timeoutMs: number,
  instance: ResolvedInstance,
): Promise<void> {
  let exitCode: number | null | undefined;
  child?.once('exit', (code, signal) => (exitCode = code ?? (signal ? -1 : null)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isKafkaUp(instance)) return;
    if (exitCode !== undefined || (child === undefined && !isAlive(pid))) {
      throw new Error(
        `Kafka broker (pid ${pid}) exited during startup${exitCode ? ` with code ${exitCode}` : ''}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`Kafka broker (pid ${pid}) not ready after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
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
  if (!(await signalAndWait(pid, 'SIGTERM', opts.timeoutMs ?? 30_000))) {
    action = 'killed';
    await signalAndWait(pid, 'SIGKILL', 10_000);
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
  await signalAndWait(pid, 'SIGKILL', 10_000);
  fs.rmSync(p.pidFile, { force: true });
  return { action: 'killed', pid, ms: Date.now() - started };
}

async function signalAndWait(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return true; // already gone
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
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

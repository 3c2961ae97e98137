import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { type BrokerInstance, type ResolvedInstance, resolveInstance } from './instance.ts';
import { isBrokerAlive } from './state-files.ts';

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
export async function warmUp(instance: ResolvedInstance): Promise<void> {
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

/** Polls until the broker answers clients; fails early if the JVM exits. */
export async function waitUntilReady(
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
    if (exitCode !== undefined || (child === undefined && !isBrokerAlive(pid))) {
      throw new Error(
        `Kafka broker (pid ${pid}) exited during startup${exitCode ? ` with code ${exitCode}` : ''}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`Kafka broker (pid ${pid}) not ready after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

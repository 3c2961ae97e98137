import type { Logger } from '../../infra/logger.ts';
import { errorMessage } from './broker-errors.ts';
import type { ClaimTransaction } from './claim-transaction.ts';
import type { BatchPublisher } from './publish-batch.ts';
import type { RunControl } from './run-control.ts';

/**
 * How many claimed batches may be in flight at once: while one is on its way to Kafka, the next
 * is claimed (and sent), so PostgreSQL and Kafka work at the same time. Order per aggregate holds
 * however many are in flight: an aggregate with events in flight cannot be claimed again before
 * their mark has committed (src/outbox/relay/claim-batch.ts).
 */
export const BATCHES_IN_FLIGHT = 2;

export type RelayLoop = {
  start(): void;
  /** Lets the batches in flight finish, then returns. */
  stop(): Promise<void>;
  /** Claims, publishes and settles one batch, on its own; returns how many events it claimed. */
  runOnce(): Promise<number>;
};

/**
 * The relay's loop: claim a batch, send it, settle it, with up to BATCHES_IN_FLIGHT batches
 * overlapping. Sleeps while paused, while the circuit breaker is open, and while nothing is
 * claimable (until a notification or OUTBOX_POLLING_INTERVAL). Survives its own errors: the
 * database is the usual suspect, and the loop tries again after a pause.
 */
export function createRelayLoop({
  control,
  publisher,
  claim,
  settle,
  pollingIntervalMs,
  log,
  onError,
  batchesInFlight = BATCHES_IN_FLIGHT,
}: {
  control: RunControl;
  publisher: BatchPublisher;
  claim: () => Promise<ClaimTransaction | null>;
  settle: (claim: ClaimTransaction, outcome: Awaited<ReturnType<BatchPublisher['publish']>>) => Promise<void>;
  pollingIntervalMs: number;
  log: Pick<Logger, 'error'>;
  onError: (message: string) => void;
  batchesInFlight?: number;
}): RelayLoop {
  let running = false;
  let loop: Promise<void> | null = null;
  const inFlight = new Set<Promise<void>>();

  async function send(batch: ClaimTransaction): Promise<void> {
    const outcome = await publisher.publish(batch.events);
    await settle(batch, outcome);
  }

  function failed(error: unknown): void {
    const message = errorMessage(error);
    onError(message);
    control.markStale();
    log.error({ err: message }, 'relay iteration failed');
  }

  /** Until a batch in flight is settled or new work is announced, whichever comes first. */
  async function batchDoneOrWork(): Promise<void> {
    let woken = false;
    const work = control.waitForWork(pollingIntervalMs).then(() => {
      woken = true;
    });
    await Promise.race([...inFlight, work]);
    // A batch finished first: retire the wait. Left pending, its timer would later unhook whichever
    // wait is current then, leaving that one deaf to notifications until its own timeout.
    if (!woken) control.wake();
  }

  async function iterate(): Promise<void> {
    await control.refresh();
    // While the broker is away, probe it with a connection attempt rather than by claiming events.
    if (!publisher.connected && !(await publisher.probe())) return;
    if (inFlight.size >= batchesInFlight) {
      await Promise.race(inFlight);
      return;
    }
    const batch = await claim();
    if (!batch) {
      // The aggregates of the batches in flight may have more events, claimable once those are
      // marked; events committed meanwhile (announced by a notification) are claimable at once.
      if (inFlight.size > 0) await batchDoneOrWork();
      else {
        await control.waitForWork(pollingIntervalMs);
        control.markStale();
      }
      return;
    }
    const job: Promise<void> = send(batch)
      .catch(failed)
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
  }

  async function run(): Promise<void> {
    while (running) {
      if (control.localPaused) {
        await control.waitForWork(pollingIntervalMs);
        continue;
      }
      if (!control.breaker.allowsAttempt()) {
        const untilProbe = control.breaker.msUntilProbe() || pollingIntervalMs;
        await control.waitForWork(Math.min(pollingIntervalMs, untilProbe));
        continue;
      }
      try {
        await iterate();
      } catch (error) {
        failed(error);
        await control.waitForWork(pollingIntervalMs);
      }
    }
    await Promise.allSettled(inFlight);
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      control.wake();
      await loop;
    },
    async runOnce() {
      const batch = await claim();
      if (!batch) return 0;
      await send(batch);
      return batch.events.length;
    },
  };
}

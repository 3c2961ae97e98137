import { errorMessage, isBrokerUnavailable } from './broker-errors.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { ClaimedEvent } from './claimed-event.ts';
import type { EventPublisher, Publication } from './publish-events.ts';

/** What became of a claimed batch on Kafka; events in none of the lists were not sent (their claim is simply released). */
export type PublishOutcome = {
  /** Acknowledged by Kafka: to be marked published. */
  published: Publication[];
  /** Refused by the broker for a reason of their own: each is charged a failed attempt. */
  refused: { event: ClaimedEvent; error: string }[];
  /** The broker could not be reached: nothing more was sent. */
  brokerDown: boolean;
};

export type BatchPublisher = {
  readonly connected: boolean;
  /** Connects the producer if needed; tells the circuit breaker how that went. */
  probe(): Promise<boolean>;
  publish(events: ClaimedEvent[]): Promise<PublishOutcome>;
};

/**
 * Sends claimed batches to Kafka and tells the circuit breaker how the broker answered.
 *
 * A batch goes in one send. If the broker refuses it for a reason that is not an outage (a message
 * too large, say), the batch is sent again one event at a time to find the culprit: at the first
 * failure of an aggregate that event is refused and the aggregate's later events are left unsent,
 * so nothing overtakes it; other aggregates go on.
 */
export function createBatchPublisher({
  publisher,
  breaker,
  onError,
}: {
  publisher: EventPublisher;
  breaker: CircuitBreaker;
  /** Every error the broker gave, as it happens (the relay's status shows the last one). */
  onError?: (message: string) => void;
}): BatchPublisher {
  let connected = false;

  function noteError(error: unknown): string {
    const message = errorMessage(error);
    onError?.(message);
    return message;
  }

  function brokerFailed(error: unknown): void {
    connected = false;
    breaker.recordBrokerFailure(noteError(error));
  }

  async function ensureConnected(): Promise<void> {
    if (connected) return;
    await publisher.connect();
    connected = true;
  }

  async function oneByOne(events: ClaimedEvent[]): Promise<PublishOutcome> {
    const outcome: PublishOutcome = { published: [], refused: [], brokerDown: false };
    const blocked = new Set<string>();
    for (const event of events) {
      const aggregate = `${event.aggregateType}\u0000${event.aggregateId}`;
      if (blocked.has(aggregate)) continue;
      try {
        outcome.published.push(...(await publisher.publish([event])));
        breaker.recordSuccess();
      } catch (error) {
        if (isBrokerUnavailable(error)) {
          brokerFailed(error);
          outcome.brokerDown = true;
          return outcome;
        }
        blocked.add(aggregate);
        outcome.refused.push({ event, error: noteError(error) });
      }
    }
    return outcome;
  }

  return {
    get connected() {
      return connected;
    },
    async probe() {
      try {
        await ensureConnected();
        breaker.recordSuccess();
        return true;
      } catch (error) {
        brokerFailed(error);
        return false;
      }
    },
    async publish(events) {
      try {
        await ensureConnected();
        const published = await publisher.publish(events);
        breaker.recordSuccess();
        return { published, refused: [], brokerDown: false };
      } catch (error) {
        if (isBrokerUnavailable(error)) {
          brokerFailed(error);
          return { published: [], refused: [], brokerDown: true };
        }
        return oneByOne(events);
      }
    },
  };
}

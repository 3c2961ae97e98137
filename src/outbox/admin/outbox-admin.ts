import type pg from 'pg';
import { readRelayControl } from './read-relay-control.ts';
import type { RelayControl } from './relay-control.ts';
import {
  type FailedEventFilter,
  type ReplayOutcome,
  replayFailedEvent,
  replayFailedEventsMatching,
  replayFailedEventsOfAggregate,
} from './replay-failed-events.ts';
import { setRelayPaused } from './set-relay-paused.ts';

/** The operator's levers over every relay instance: pause/resume and dead-letter replay. */
export type OutboxAdmin = {
  relayControl(): Promise<RelayControl>;
  pauseRelay(by: string, reason: string | null): Promise<RelayControl>;
  resumeRelay(by: string): Promise<RelayControl>;
  replayEvent(eventId: string): Promise<ReplayOutcome>;
  replayAggregate(aggregate: { aggregateType: string; aggregateId: string }): Promise<ReplayOutcome>;
  replayMatching(filter: FailedEventFilter, options: { dryRun: boolean }): Promise<ReplayOutcome>;
};

export function createOutboxAdmin({ pool }: { pool: pg.Pool }): OutboxAdmin {
  return {
    relayControl: () => readRelayControl(pool),
    pauseRelay: (by, reason) => setRelayPaused(pool, { paused: true, by, reason }),
    resumeRelay: (by) => setRelayPaused(pool, { paused: false, by }),
    replayEvent: (eventId) => replayFailedEvent(pool, eventId),
    replayAggregate: (aggregate) => replayFailedEventsOfAggregate(pool, aggregate),
    replayMatching: (filter, options) => replayFailedEventsMatching(pool, filter, options),
  };
}

import type { HistogramSnapshot } from '../lib/latency-histogram.ts';

/** Messages between the harness and the subscribers' process (Node IPC). */
export type ToSubscribers =
  | { type: 'status' }
  /** Forget the latencies so far (the warm-up's). */
  | { type: 'reset' }
  | { type: 'report'; expectedCursors: number[] };

export type SubscribersStatus = {
  type: 'status';
  connected: number;
  /** Fewest and total events received over all subscribers. */
  minReceived: number;
  totalReceived: number;
  errors: number;
};

export type SubscribersReport = {
  type: 'report';
  subscribers: number;
  deliveries: number;
  /** Expected events a subscriber never received, summed over subscribers. */
  missed: number;
  subscribersMissingEvents: number;
  duplicates: number;
  /** Deliveries whose cursor did not come after the previous one at the same subscriber. */
  outOfOrder: number;
  latency: HistogramSnapshot;
  firstErrors: string[];
  maxRssBytes: number;
};

export type FromSubscribers =
  | { type: 'connected'; connected: number }
  | SubscribersStatus
  | SubscribersReport;

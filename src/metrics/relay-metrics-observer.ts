import type { RelayObserver } from '../outbox/relay/create-relay.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/**
 * Feeds this process's relay counters from the relay's observer hooks. `onStateChange` lets the
 * live status push a circuit or pause change at once instead of at the next periodic update.
 */
export function createRelayMetricsObserver({
  metrics,
  onStateChange = () => {},
  now = Date.now,
}: {
  metrics: ServiceMetrics;
  onStateChange?: () => void;
  now?: () => number;
}): RelayObserver {
  return {
    onPublished(publications, _range, durationMs) {
      metrics.processingDuration.observe(durationMs / 1000);
      const publishedAt = now();
      for (const { event } of publications) {
        metrics.processedTotal.inc({ topic: event.topic });
        metrics.publishLatency.observe(
          { topic: event.topic },
          Math.max(0, (publishedAt - event.createdAt.getTime()) / 1000),
        );
      }
    },
    onRetry(event) {
      metrics.errorsTotal.inc({ topic: event.topic, outcome: 'retry' });
      metrics.retriesTotal.inc({ topic: event.topic });
    },
    onFailed(event) {
      metrics.errorsTotal.inc({ topic: event.topic, outcome: 'failed' });
      metrics.failedTotal.inc({ topic: event.topic });
    },
    onCircuitChange(state) {
      if (state === 'open') metrics.circuitOpenedTotal.inc();
      onStateChange();
    },
    onPausedChange() {
      onStateChange();
    },
  };
}

import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ServiceMetrics } from './service-metrics.ts';

/** Operation names come from clients: past this many distinct ones, the rest share one label. */
const MAX_OPERATION_NAMES = 200;

/**
 * GraphQL request metrics in the service's own registry: execution time of queries and mutations
 * and open subscriptions, labelled by operation. Runs in yoga's envelop pipeline, which graphql-ws
 * shares (http/server.ts), so both transports are measured alike.
 */
export function graphqlMetricsPlugin<Context extends object>(metrics: ServiceMetrics): Plugin<Context> {
  const seen = new Set<string>();
  const label = (name: string | undefined): string => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };

  return {
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const labels = {
        operation_name: label(operation?.name?.value ?? args.operationName ?? undefined),
        operation_type: operation?.operation ?? 'unknown',
      };
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          const outcome = 'errors' in result && result.errors?.length ? 'error' : 'ok';
          metrics.graphqlDuration.observe({ ...labels, outcome }, (performance.now() - started) / 1000);
        },
      };
    },
    onSubscribe({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const labels = { operation_name: label(operation?.name?.value ?? args.operationName ?? undefined) };
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) return;
          metrics.graphqlSubscriptions.inc(labels);
          let open = true;
          return {
            onEnd() {
              if (!open) return;
              open = false;
              metrics.graphqlSubscriptions.dec(labels);
            },
          };
        },
      };
    },
  };
}

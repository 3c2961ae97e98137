import { type DocumentNode, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ServiceMetrics } from './service-metrics.ts';

/** Operation names come from clients: past this many distinct ones, the rest share one label. */
const MAX_OPERATION_NAMES = 200;
/** Longer names are cut: a label is a short identifier, and every one is kept until the process ends. */
const MAX_OPERATION_NAME_LENGTH = 64;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

type ExecuteLabels = { operation_name: string; operation_type: string };

/** A client's operation name as a label value: a GraphQL name, at most 64 characters, else "invalid". */
export function operationNameLabel(name: string | undefined): string | undefined {
  if (!name) return undefined;
  if (!OPERATION_NAME.test(name)) return 'invalid';
  return name.slice(0, MAX_OPERATION_NAME_LENGTH);
}

/**
 * GraphQL request metrics in the service's own registry: execution time of queries and mutations
 * and open subscriptions, labelled by operation. Runs in yoga's envelop pipeline, which graphql-ws
 * shares (http/server.ts), so both transports are measured alike.
 */
export function graphqlMetricsPlugin<Context extends object>(metrics: ServiceMetrics): Plugin<Context> {
  const seen = new Set<string>();
  const label = (given: string | undefined): string => {
    const name = operationNameLabel(given);
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };

  // Documents are cached and shared by every request that sends the same text
  // (src/graphql/document-cache.ts), so their labels are worked out once per document.
  const executeLabels = new WeakMap<DocumentNode, Map<string, ExecuteLabels>>();
  const labelsFor = (document: DocumentNode, operationName: string | null | undefined): ExecuteLabels => {
    let byName = executeLabels.get(document);
    if (!byName) {
      byName = new Map();
      executeLabels.set(document, byName);
    }
    const key = operationName ?? '';
    let labels = byName.get(key);
    if (!labels) {
      const operation = getOperationAST(document, operationName);
      labels = {
        operation_name: label(operation?.name?.value ?? operationName ?? undefined),
        operation_type: operation?.operation ?? 'unknown',
      };
      // Only names the document defines are kept, so a client cannot grow the map by inventing names.
      if (operation) byName.set(key, labels);
    }
    return labels;
  };

  return {
    onExecute({ args }) {
      const labels = labelsFor(args.document, args.operationName);
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

import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  getOperationAST,
  type OperationDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

type MaybePromise<T> = T | Promise<T>;

/** The root field a subscription operation selects (a subscription selects exactly one). */
function rootFieldName(operation: OperationDefinitionNode): string | null {
  const [first] = operation.selectionSet.selections;
  return first?.kind === 'Field' ? first.name.value : null;
}

function mapAsyncIterable<T, U>(
  source: AsyncIterable<T>,
  map: (value: T) => MaybePromise<U>,
): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  // An explicit iterator rather than an async generator: return() must reach the source at once,
  // not after the source's next event (an async generator queues it behind the pending await).
  const mapped: AsyncIterableIterator<U> = {
    async next() {
      const step = await iterator.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: await map(step.value) };
    },
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}

/**
 * Executes a subscription's selection once per event for every subscriber with the same document,
 * operation and variables, instead of once per subscriber: with 500 subscribers to one feed, one
 * execution per event instead of 500. Subscribers then share the very same result object, which
 * lets the transport serialise it once (src/http/shared-payloads.ts).
 *
 * Only for the root fields named in `fields`, whose results may depend on who subscribed only
 * through what `contextKey` returns: a shared result is computed with the context of whichever
 * subscriber asks first, so subscribers share only when their keys are equal (eventPublished's
 * `data` hides users' contact details from everyone but admins: an admin and an anonymous client
 * must never share). An event is recognised by identity, so this works when the source hands every
 * subscriber the same event object (the published feed's shared pages do). Anything else, or an
 * error from the source, takes graphql's own path.
 */
export function sharedSubscriptionExecution<Context extends Record<string, unknown>>({
  fields,
  contextKey,
}: {
  fields: readonly string[];
  /** Everything in a subscriber's context that the shared fields' results depend on, as a string. */
  contextKey: (context: Context) => string;
}): Plugin<Context> {
  const shareable = new Set(fields);
  /** Per event: results by execution key. Entries go with their event. */
  const results = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;

  const executionKey = (args: ExecutionArgs): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) {
      id = nextDocumentId++;
      documentIds.set(args.document, id);
    }
    const context = contextKey(args.contextValue as Context);
    return `${id}\u0000${args.operationName ?? ''}\u0000${context}\u0000${JSON.stringify(args.variableValues ?? {})}`;
  };

  const executeShared = (args: ExecutionArgs, key: string, event: unknown): MaybePromise<ExecutionResult> => {
    if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
    let byKey = results.get(event);
    if (!byKey) {
      byKey = new Map();
      results.set(event, byKey);
    }
    let result = byKey.get(key);
    if (!result) {
      result = execute({ ...args, rootValue: event });
      byKey.set(key, result);
    }
    return result;
  };

  const subscribe = async (args: ExecutionArgs) => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const key = executionKey(args);
    return mapAsyncIterable(stream, (event) => executeShared(args, key, event));
  };

  return {
    onSubscribe({ args, setSubscribeFn }) {
      // Documents with fragments, directives or several operations all work: only the root field decides.
      const operation = getOperationAST(args.document, args.operationName);
      const field = operation?.operation === 'subscription' ? rootFieldName(operation) : null;
      if (field && shareable.has(field)) setSubscribeFn(subscribe as Parameters<typeof setSubscribeFn>[0]);
    },
  };
}

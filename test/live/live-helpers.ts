import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { enqueueOutboxEvent } from '../../src/outbox/enqueue.ts';
import { toCursor } from '../../src/outbox/feed/read-published.ts';
import type { AggregateType } from '../../src/outbox/topics.ts';
import { graphql } from '../support/graphql-client.ts';

/**
 * createPet, whichever shape its result has: the result union (`PetPayload | ValidationError`)
 * or the plain `Pet` it returned before. The union is tried first.
 */
export async function createPetThroughApi(
  graphqlUrl: string,
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ id: string }> {
  const union = await graphql<{ createPet: { __typename: string; pet?: { id: string }; message?: string } }>(
    graphqlUrl,
    `mutation ($input: CreatePetInput!) {
       createPet(input: $input) { __typename ... on PetPayload { pet { id } } ... on Error { message } }
     }`,
    { input },
    headers,
  );
  if (!union.errors) {
    const pet = union.data?.createPet.pet;
    if (!pet) throw new Error(`createPet refused: ${JSON.stringify(union.data)}`);
    return pet;
  }
  const plain = await graphql<{ createPet: { id: string } }>(
    graphqlUrl,
    'mutation ($input: CreatePetInput!) { createPet(input: $input) { id } }',
    { input },
    headers,
  );
  if (!plain.data) throw new Error(JSON.stringify(plain.errors ?? union.errors));
  return plain.data.createPet;
}

/** Writes outbox rows directly (each in its own transaction), as business code does. */
export async function enqueueEvents(
  prisma: PrismaClient,
  {
    count,
    topicPrefix,
    aggregateType = 'pet',
    aggregateId = () => randomUUID(),
    eventType = 'pet.created',
  }: {
    count: number;
    topicPrefix: string;
    aggregateType?: AggregateType;
    aggregateId?: (index: number) => string;
    eventType?: string;
  },
): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const event = await prisma.$transaction((tx) =>
      enqueueOutboxEvent(
        tx,
        { aggregateType, aggregateId: aggregateId(index), eventType, data: { index }, correlationId: null },
        { topicPrefix },
      ),
    );
    ids.push(event.id);
  }
  return ids;
}

/** Every published event id, in publication (cursor) order, as the table records it. */
export async function publishedOrder(prisma: PrismaClient): Promise<{ id: string; cursor: string }[]> {
  const rows = await prisma.$queryRaw<{ id: string; xid: string; seq: string }[]>`
    SELECT id::text AS id, published_xid::text AS xid, published_seq::text AS seq FROM outbox_events
    WHERE published_seq IS NOT NULL ORDER BY published_xid, published_seq`;
  return rows.map((row) => ({ id: row.id, cursor: toCursor(row) }));
}

export type SseSubscription<T> = {
  received: T[];
  errors: unknown[];
  isOpen(): boolean;
  stop(): void;
};

/**
 * A GraphQL subscription over Server-Sent Events, as a browser's EventSource would open it: yoga's
 * default transport, on the same /graphql path, chosen by `Accept: text/event-stream`.
 */
export function sseSubscribe<T>(
  graphqlUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
): SseSubscription<T> {
  const received: T[] = [];
  const errors: unknown[] = [];
  const abort = new AbortController();
  let open = true;
  void (async () => {
    try {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query, variables }),
        signal: abort.signal,
      });
      if (!response.body) throw new Error(`no body (status ${response.status})`);
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = message.split('\n');
          const event = lines
            .find((line) => line.startsWith('event:'))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (event === 'next' && data) {
            const result = JSON.parse(data) as { data?: T; errors?: unknown };
            if (result.errors) errors.push(result.errors);
            if (result.data) received.push(result.data);
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) errors.push(error);
    } finally {
      open = false;
    }
  })();
  return {
    received,
    errors,
    isOpen: () => open,
    stop: () => abort.abort(),
  };
}

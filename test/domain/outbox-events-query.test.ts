import { describe, expect } from 'vitest';
import { type DomainApp, newOrder, newPet, type Result } from '../support/domain-app.ts';
import { test } from '../support/fixtures.ts';

let app: DomainApp;

test.beforeAll(({ domainApp }) => {
  app = domainApp;
});

const OUTBOX_EVENTS = `query (
  $status: OutboxEventStatus, $aggregateType: String, $aggregateId: String, $eventType: String,
  $first: Int, $after: String
) {
  outboxEvents(status: $status, aggregateType: $aggregateType, aggregateId: $aggregateId,
               eventType: $eventType, first: $first, after: $after) {
    edges { cursor node {
      id aggregateType aggregateId eventType aggregateSequence data correlationId topic status isProcessed
      retryCount errorMessage createdAt processedAt nextAttemptAt kafkaPartition kafkaOffset
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Node = Record<string, unknown> & { id: string; eventType: string; aggregateSequence: number };

async function allEvents(filter: Record<string, unknown>, first = 2): Promise<Node[]> {
  const nodes: Node[] = [];
  let after: string | null = null;
  for (;;) {
    const { outboxEvents }: Record<string, Result> = await app.gql(OUTBOX_EVENTS, {
      ...filter,
      first,
      after,
    });
    nodes.push(...(outboxEvents?.edges ?? []).map((edge: { node: Node }) => edge.node));
    if (!outboxEvents?.pageInfo.hasNextPage) return nodes;
    after = outboxEvents.pageInfo.endCursor;
  }
}

describe('outboxEvents', () => {
  test("shows an aggregate's events newest first, with every column, across pages", async () => {
    const petId = await newPet(app, { price: '10.00' });
    const orderId = await newOrder(app, petId, { confirm: true });
    await app.gql('mutation ($id: ID!) { deliverOrder(id: $id) { __typename } }', { id: orderId });

    const orderEvents = await allEvents({ aggregateType: 'order', aggregateId: orderId });
    expect(orderEvents.map((event) => [event.eventType, event.aggregateSequence])).toEqual([
      ['order.delivered', 3],
      ['order.confirmed', 2],
      ['order.created', 1],
    ]);
    const [rowCheck] = await app.eventsOf('order', orderId);
    expect(orderEvents.at(-1)).toEqual({
      id: rowCheck?.id,
      aggregateType: 'order',
      aggregateId: orderId,
      eventType: 'order.created',
      aggregateSequence: 1,
      data: rowCheck?.data,
      correlationId: rowCheck?.correlation_id,
      topic: `${app.topicPrefix}.orders`,
      status: 'pending',
      isProcessed: false,
      retryCount: 0,
      errorMessage: null,
      createdAt: expect.any(String),
      processedAt: null,
      nextAttemptAt: expect.any(String),
      kafkaPartition: null,
      kafkaOffset: null,
    });

    const petEvents = await allEvents({ aggregateId: petId });
    expect(petEvents.map((event) => [event.eventType, event.aggregateSequence])).toEqual([
      ['pet.status_changed', 3],
      ['pet.status_changed', 2],
      ['pet.created', 1],
    ]);
  });

  test('filters by event type and status, and shows what the relay recorded for published and failed rows', async () => {
    const petId = await newPet(app);
    const published = await newPet(app);
    const prisma = app.testApp.app.services.prisma;
    // The relay is off in this app; the row states it would leave are written directly.
    await prisma.$executeRaw`UPDATE outbox_events SET status = 'published', is_processed = true,
      processed_at = now(), kafka_partition = 2, kafka_offset = 9007199254740993 WHERE aggregate_id = ${published}`;
    await prisma.$executeRaw`UPDATE outbox_events SET status = 'failed', retry_count = 5,
      error_message = 'broker unreachable' WHERE aggregate_id = ${petId}`;

    const [publishedRow] = await allEvents({ status: 'published', eventType: 'pet.created' });
    expect(publishedRow).toMatchObject({
      aggregateId: published,
      status: 'published',
      isProcessed: true,
      processedAt: expect.any(String),
      kafkaPartition: 2,
      // Beyond 2^53: exact, because it travels as a string.
      kafkaOffset: '9007199254740993',
    });
    const failed = await allEvents({ status: 'failed' });
    expect(failed).toEqual([
      expect.objectContaining({
        aggregateId: petId,
        status: 'failed',
        retryCount: 5,
        errorMessage: 'broker unreachable',
      }),
    ]);
    expect(await allEvents({ eventType: 'no.such_event' })).toEqual([]);
  });
});

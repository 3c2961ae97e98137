/**
 * The relays are woken after a commit, not by a trigger inside the writer's transaction
 * (src/outbox/announcer.ts). With a poll of a minute, anything published within seconds was woken
 * by an announcement: after a GraphQL mutation, after the library's withTransaction, or when a writer
 * outside the service calls announcePending(). A row written past the service without one waits
 * for the poll.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPetExample } from '../../examples/outbox-library.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { createPetThroughApi, enqueueEvents } from './live-helpers.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ OUTBOX_POLLING_INTERVAL: '60' });
  await waitFor(() => testApp.app.outbox.status().kafkaConnected, { what: 'the relay to reach Kafka' });
});

afterAll(async () => {
  await testApp?.stop();
});

async function statusOf(eventId: string): Promise<string | undefined> {
  const rows = await testApp.app.services.prisma.$queryRaw<{ status: string }[]>`
    SELECT status::text AS status FROM outbox_events WHERE id = ${eventId}::uuid`;
  return rows[0]?.status;
}

async function eventOfPet(petId: string): Promise<string> {
  const rows = await testApp.app.services.prisma.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM outbox_events WHERE aggregate_id = ${petId}`;
  const [row] = rows;
  if (!row) throw new Error(`no outbox row for pet ${petId}`);
  return row.id;
}

const published = (eventId: string, what: string) =>
  waitFor(async () => (await statusOf(eventId)) === 'published', { what, timeoutMs: 10_000 });

describe('with a poll of a minute, the relay is woken after each commit', () => {
  test('by a GraphQL mutation', async () => {
    const pet = await createPetThroughApi(testApp.graphqlUrl, {
      name: 'Wake',
      species: 'cat',
      price: '3.00',
    });
    await published(await eventOfPet(pet.id), 'the createPet event to be published');
  });

  test("by the library's withTransaction", async () => {
    const { eventId } = await createPetExample(testApp.app.outbox);
    await published(eventId, 'the withTransaction event to be published');
  });

  test('by announcePending() after a commit made past the service; without it the row waits', async () => {
    const [eventId] = await enqueueEvents(testApp.app.services.prisma, {
      count: 1,
      topicPrefix: testApp.config.kafka.topicPrefix,
    });
    if (!eventId) throw new Error('no event written');
    // Nothing announced it: no trigger wakes the relay any more, and its next poll is a minute away.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await statusOf(eventId)).toBe('pending');

    testApp.app.outbox.announcePending();
    await published(eventId, 'the announced event to be published');
  });
});

/**
 * A client that sends work and goes away: the server stops the operation instead of finishing it for
 * nobody. Mutation fields run one after another, so a document of 15 aliased createPet calls shows it:
 * once the client disconnects, the pets not yet created are never created.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
});

afterAll(async () => {
  await testApp?.stop();
});

const petsNamed = (name: string) => testApp.app.services.prisma.pet.count({ where: { name } });

describe('a client that disconnects', () => {
  test('stops the rest of its mutation document', async () => {
    const name = 'Abandoned';
    const fields = Array.from(
      { length: 15 },
      (_, index) =>
        `p${index}: createPet(input: { name: "${name}", species: "dog", price: "1.00", description: "${'x'.repeat(1900)}" }) { __typename ... on PetPayload { events { id data } } }`,
    );
    const abort = new AbortController();
    const request = fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { ${fields.join('\n')} }` }),
      signal: abort.signal,
    }).catch(() => null);
    await waitFor(async () => (await petsNamed(name)) >= 1, { intervalMs: 5, what: 'the first pet' });
    abort.abort();
    await request;
    // Whatever was running when the client left may still finish; then nothing more is created.
    // (Without cancellation the other 14 follow within a second or two.)
    let previous = -1;
    let settled = await petsNamed(name);
    while (settled !== previous) {
      previous = settled;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      settled = await petsNamed(name);
    }
    expect(settled).toBeLessThan(15);
  });
});

import { describe, expect } from 'vitest';
import {
  CREATE_PET,
  type DomainApp,
  EVENT_FIELDS,
  errorFields,
  expectNothingWritten,
  newPet,
  PET_FIELDS,
  type Result,
} from '../support/domain-app.ts';
import { examplePetInput } from '../support/examples.ts';
import { test } from '../support/fixtures.ts';
import { graphql } from '../support/graphql-client.ts';

let app: DomainApp;

test.beforeAll(({ domainApp }) => {
  app = domainApp;
});

const UPDATE_PET = `mutation ($id: ID!, $input: UpdatePetInput!) {
  updatePet(id: $id, input: $input) {
    ${errorFields('ValidationError', 'NotFoundError')}
    ... on PetPayload { pet { ${PET_FIELDS} } events { ${EVENT_FIELDS} } }
  }
}`;

const CHANGE_PRICE = `mutation ($id: ID!, $price: Decimal!) {
  changePetPrice(id: $id, price: $price) {
    ${errorFields('ValidationError', 'NotFoundError')}
    ... on PetPayload { pet { ${PET_FIELDS} } events { ${EVENT_FIELDS} } }
  }
}`;

describe('createPet', () => {
  test("writes the pet and its pet.created event (sequence 1) with the seed's fields", async () => {
    const before = await app.counts();
    const { createPet } = await app.gql(
      CREATE_PET,
      {
        input: examplePetInput({ name: '  Buddy ', species: 'Dog', price: '1200' }),
      },
      { 'x-correlation-id': 'corr-pets-1' },
    );
    expect(createPet?.__typename).toBe('PetPayload');
    const pet = createPet?.pet;
    // Trimmed, species lower-cased, price canonical with two decimals.
    expect(pet).toMatchObject({ ...examplePetInput(), status: 'available' });
    expect(await app.counts()).toMatchObject({ pets: before.pets + 1, events: before.events + 1 });

    const row = await app.testApp.app.services.prisma.pet.findUniqueOrThrow({ where: { id: pet.id } });
    expect(row.price.toFixed(2)).toBe('1200.00');

    const [event, ...rest] = await app.eventsOf('pet', pet.id);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      event_type: 'pet.created',
      aggregate_sequence: 1,
      correlation_id: 'corr-pets-1',
      topic: `${app.topicPrefix}.pets`,
      status: 'pending',
    });
    expect(event?.data).toEqual({
      schemaVersion: 1,
      pet: {
        id: pet.id,
        ...examplePetInput(),
        status: 'available',
        createdAt: pet.createdAt,
        updatedAt: pet.updatedAt,
      },
    });
    // The payload's events list is the outbox as it stands.
    expect(createPet?.events).toEqual([
      expect.objectContaining({
        id: event?.id,
        eventType: 'pet.created',
        aggregateSequence: 1,
        status: 'pending',
      }),
    ]);
  });

  test('accepts the optional fields left out, and a status', async () => {
    const { createPet } = await app.gql(CREATE_PET, {
      input: { name: 'Tom', species: 'cat', price: '0.10', status: 'sold' },
    });
    expect(createPet?.pet).toMatchObject({
      breed: null,
      age: null,
      category: null,
      price: '0.10',
      status: 'sold',
    });
  });

  test('without an x-correlation-id, the id the response names is the one its event records', async () => {
    const response = await graphql<{ createPet: Result }>(app.testApp.graphqlUrl, CREATE_PET, {
      input: examplePetInput({ name: 'Nameless' }),
    });
    const echoed = response.headers.get('x-correlation-id');
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    const [event] = await app.eventsOf('pet', response.data?.createPet?.pet.id);
    expect(event?.correlation_id).toBe(echoed);
  });
});

describe('updatePet', () => {
  test('changes descriptive fields and writes pet.updated (sequence 2) with what changed and what it was', async () => {
    const id = await newPet(app, { name: 'Rex', species: 'dog', age: 2, breed: 'Boxer' });
    const { updatePet } = await app.gql(UPDATE_PET, {
      id,
      input: { age: 3, breed: null, name: 'Rex', description: 'Loves walks' },
    });
    expect(updatePet?.__typename).toBe('PetPayload');
    expect(updatePet?.pet).toMatchObject({ name: 'Rex', age: 3, breed: null, description: 'Loves walks' });
    const events = await app.eventsOf('pet', id);
    expect(events.map((event) => [event.event_type, event.aggregate_sequence])).toEqual([
      ['pet.created', 1],
      ['pet.updated', 2],
    ]);
    // name was given but equal: not a change.
    expect(events[1]?.data).toMatchObject({
      schemaVersion: 1,
      changedFields: ['breed', 'age', 'description'],
      previous: { breed: 'Boxer', age: 2, description: null },
      pet: { id, age: 3, breed: null, description: 'Loves walks' },
    });
  });

  test('values equal to the current ones write nothing', async () => {
    const id = await newPet(app, { name: 'Same', age: 4 });
    const { updatePet } = await expectNothingWritten(app, () =>
      app.gql(UPDATE_PET, { id, input: { name: 'Same', age: 4 } }),
    );
    expect(updatePet).toMatchObject({ __typename: 'PetPayload', events: [] });
  });
});

describe('changePetPrice', () => {
  test('sets the price exactly and writes pet.price_changed with the previous price', async () => {
    const id = await newPet(app, { price: '1200.00' });
    const { changePetPrice } = await app.gql(CHANGE_PRICE, { id, price: '999.99' });
    expect(changePetPrice?.pet.price).toBe('999.99');
    const events = await app.eventsOf('pet', id);
    expect(events.map((event) => [event.event_type, event.aggregate_sequence])).toEqual([
      ['pet.created', 1],
      ['pet.price_changed', 2],
    ]);
    expect(events[1]?.data).toMatchObject({ previousPrice: '1200.00', pet: { price: '999.99' } });
  });

  test('the same price again writes nothing', async () => {
    const id = await newPet(app, { price: '50.00' });
    const { changePetPrice } = await expectNothingWritten(app, () =>
      app.gql(CHANGE_PRICE, { id, price: '50' }),
    );
    expect(changePetPrice).toMatchObject({ __typename: 'PetPayload', events: [] });
  });
});

describe('pet and pets', () => {
  test('pet(id) returns the pet, and null for an unknown or malformed id', async () => {
    const id = await newPet(app, { name: 'Findme' });
    const found = await app.gql<{ pet: { name: string } | null }>(
      'query ($id: ID!) { pet(id: $id) { name } }',
      {
        id,
      },
    );
    expect(found.pet?.name).toBe('Findme');
    for (const other of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect((await app.gql('query ($id: ID!) { pet(id: $id) { name } }', { id: other })).pet).toBeNull();
    }
  });

  test('filters by species (case-insensitively) and status, newest first, with cursor pagination', async () => {
    const species = `lizard${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await newPet(app, { name: `Liz ${i}`, species }));
    await newPet(app, { name: 'Sold liz', species, status: 'sold' });
    const PAGE = `query ($species: String, $after: String) {
      pets(species: $species, status: available, first: 2, after: $after) {
        edges { cursor node { id status } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { pets }: Record<string, Result> = await app.gql(PAGE, { species: species.toUpperCase(), after });
      for (const edge of pets?.edges ?? []) {
        expect(edge.node.status).toBe('available');
        seen.push(edge.node.id);
      }
      if (!pets?.pageInfo.hasNextPage) break;
      after = pets.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
  });
});

import { describe, expect } from 'vitest';
import {
  CREATE_PET,
  type DomainApp,
  errorFields,
  expectNothingWritten,
  newPet,
  PET_FIELDS,
} from '../support/domain-app.ts';
import { test } from '../support/fixtures.ts';

let app: DomainApp;

test.beforeAll(({ domainApp }) => {
  app = domainApp;
});

const valid = { name: 'Buddy', species: 'dog', price: '1200.00' };

/** createPet with `input`; asserts a ValidationError with nothing written, and returns its issues. */
async function rejected(input: Record<string, unknown>) {
  const { createPet } = await expectNothingWritten(app, () => app.gql(CREATE_PET, { input }));
  expect(createPet?.__typename).toBe('ValidationError');
  expect(createPet?.message).toBeTruthy();
  return createPet?.issues as { path: string[]; message: string }[];
}

describe('createPet refuses bad input with a ValidationError and writes nothing', () => {
  test.each([
    ['empty name', { name: '' }, ['input', 'name'], 'must not be empty'],
    ['whitespace-only name', { name: '   ' }, ['input', 'name'], 'must not be empty'],
    ['over-long name', { name: 'x'.repeat(101) }, ['input', 'name'], 'at most 100 characters'],
    ['over-long species', { species: 'x'.repeat(51) }, ['input', 'species'], 'at most 50 characters'],
    ['empty breed', { breed: '' }, ['input', 'breed'], 'must not be empty'],
    ['over-long description', { description: 'x'.repeat(2001) }, ['input', 'description'], 'at most 2000'],
  ])('%s', async (_name, change, path, message) => {
    const issues = await rejected({ ...valid, ...change });
    expect(issues).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  test.each([
    ['negative', '-5.00', 'must not be negative'],
    ['more than 2 decimals', '10.001', 'at most 2 decimal places'],
    ['absurdly large', '1000000.01', 'at most 1000000.00'],
    ['far too large', '99999999999999999999', 'at most 1000000.00'],
  ])('price: %s', async (_name, price, message) => {
    const issues = await rejected({ ...valid, price });
    expect(issues).toEqual([{ path: ['input', 'price'], message: expect.stringContaining(message) }]);
  });

  test.each([
    ['negative', -1, 'must not be negative'],
    ['over 100', 101, 'at most 100'],
  ])('age: %s', async (_name, age, message) => {
    const issues = await rejected({ ...valid, age });
    expect(issues).toEqual([{ path: ['input', 'age'], message: expect.stringContaining(message) }]);
  });

  test('every problem is reported at once', async () => {
    const issues = await rejected({ name: '', species: '', price: '-1', age: 500 });
    expect(issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'input.age',
      'input.name',
      'input.price',
      'input.species',
    ]);
  });

  // These never reach the resolver: the Decimal scalar refuses them while coercing variables, which
  // graphql-js reports as a request error carrying the scalar's code and the variable's path.
  test.each([
    ['NaN price', { price: 'NaN' }],
    ['Infinity price', { price: 'Infinity' }],
    ['exponent price', { price: '1e400' }],
    ['float price (a JSON number)', { price: 1200.5 }],
  ])('%s is a BAD_USER_INPUT request error', async (_name, change) => {
    const response = await expectNothingWritten(app, () =>
      app.raw(CREATE_PET, { input: { ...valid, ...change } }),
    );
    expect(response.data).toBeUndefined();
    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('"input.price"');
  });

  test("age beyond 32 bits is refused by GraphQL's Int while coercing variables", async () => {
    const response = await expectNothingWritten(app, () =>
      app.raw(CREATE_PET, { input: { ...valid, age: 2 ** 31 } }),
    );
    expect(response.data).toBeUndefined();
    expect(response.errors?.map((error) => error.message)).toEqual([
      expect.stringMatching(/"input\.age".*Int cannot represent/),
    ]);
  });
});

const UPDATE_PET = `mutation ($id: ID!, $input: UpdatePetInput!) {
  updatePet(id: $id, input: $input) {
    ${errorFields('ValidationError', 'NotFoundError')}
    ... on PetPayload { pet { ${PET_FIELDS} } }
  }
}`;

const CHANGE_PRICE = `mutation ($id: ID!, $price: Decimal!) {
  changePetPrice(id: $id, price: $price) {
    ${errorFields('ValidationError', 'NotFoundError')}
    ... on PetPayload { pet { ${PET_FIELDS} } }
  }
}`;

describe('updatePet and changePetPrice refuse bad input and unknown pets, writing nothing', () => {
  test('a required field cannot be cleared', async () => {
    const id = await newPet(app);
    const { updatePet } = await expectNothingWritten(app, () =>
      app.gql(UPDATE_PET, { id, input: { name: null, age: 1000 } }),
    );
    expect(updatePet?.__typename).toBe('ValidationError');
    expect(updatePet?.issues.map((issue: { path: string[] }) => issue.path.join('.')).sort()).toEqual([
      'input.age',
      'input.name',
    ]);
  });

  test('a malformed id is a ValidationError, an unknown one a NotFoundError', async () => {
    const malformed = await expectNothingWritten(app, () =>
      app.gql(UPDATE_PET, { id: 'pet_456', input: { age: 1 } }),
    );
    expect(malformed.updatePet).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['id'] }] });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await expectNothingWritten(app, () =>
      app.gql(UPDATE_PET, { id: unknown, input: { age: 1 } }),
    );
    expect(missing.updatePet).toMatchObject({ __typename: 'NotFoundError', entity: 'Pet', id: unknown });
    const price = await expectNothingWritten(app, () =>
      app.gql(CHANGE_PRICE, { id: unknown, price: '1.00' }),
    );
    expect(price.changePetPrice).toMatchObject({ __typename: 'NotFoundError', entity: 'Pet', id: unknown });
  });

  test('a bad price is refused and the old one kept', async () => {
    const id = await newPet(app, { price: '10.00' });
    for (const price of ['-1', '0.001', '2000000']) {
      const { changePetPrice } = await expectNothingWritten(app, () => app.gql(CHANGE_PRICE, { id, price }));
      expect(changePetPrice).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['price'] }] });
    }
    const { pet } = await app.gql('query ($id: ID!) { pet(id: $id) { price } }', { id });
    expect(pet?.price).toBe('10.00');
  });
});

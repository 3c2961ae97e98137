/**
 * Text a hostile client sends to break storage or checks: NUL and other control characters, lone
 * surrogates, strings that grow when lower-cased, and decomposed Unicode. Each mutation answers with a
 * ValidationError (never "Unexpected error") and writes nothing; valid text is stored normalised.
 */
import { describe, expect } from 'vitest';
import {
  CANCEL_ORDER,
  CREATE_ORDER,
  CREATE_PET,
  type DomainApp,
  errorFields,
  expectNothingWritten,
  newOrder,
  newPet,
  REGISTER_USER,
} from '../support/domain-app.ts';
import { test } from '../support/fixtures.ts';

let app: DomainApp;

test.beforeAll(({ domainApp }) => {
  app = domainApp;
});

const valid = { name: 'Buddy', species: 'dog', price: '12.00' };
type Issue = { path: string[]; message: string };

async function refused(query: string, variables: Record<string, unknown>): Promise<Issue[]> {
  const data = await expectNothingWritten(app, () => app.gql(query, variables));
  const result = Object.values(data)[0];
  expect(JSON.stringify(data)).not.toContain('Unexpected error');
  expect(result?.__typename).toBe('ValidationError');
  return result?.issues as Issue[];
}

describe('createPet', () => {
  test.each([
    ['a NUL byte', { name: 'Bud\u0000dy' }, ['input', 'name'], 'control characters'],
    ['a bell character', { name: 'Bud\u0007dy' }, ['input', 'name'], 'control characters'],
    ['a C1 control character', { breed: 'x\u0085y' }, ['input', 'breed'], 'control characters'],
    ['a line break in a name', { name: 'Bud\ndy' }, ['input', 'name'], 'control characters'],
    ['NUL in a description', { description: 'a\u0000b' }, ['input', 'description'], 'control characters'],
    ['a lone high surrogate', { name: 'Bud\uD800dy' }, ['input', 'name'], 'lone surrogate'],
    ['a lone low surrogate', { category: '\uDC00' }, ['input', 'category'], 'lone surrogate'],
    [
      'a species that lower-cases past 50 characters',
      { species: 'İ'.repeat(26) },
      ['input', 'species'],
      'at most 50',
    ],
  ])('%s is a ValidationError', async (_what, change, path, message) => {
    const issues = await refused(CREATE_PET, { input: { ...valid, ...change } });
    expect(issues).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  test('text is stored NFC, measured after normalisation and lower-casing', async () => {
    const decomposed = 'e\u0301'.repeat(100); // 200 code points, 100 once composed
    const { createPet } = await app.gql(CREATE_PET, {
      input: {
        ...valid,
        name: decomposed,
        species: 'İ'.repeat(25),
        description: 'line one\r\n\tline two',
      },
    });
    expect(createPet?.__typename).toBe('PetPayload');
    expect(createPet?.pet.name).toBe('\u00e9'.repeat(100));
    expect(createPet?.pet.species).toBe('i\u0307'.repeat(25).normalize('NFC'));
    expect(createPet?.pet.description).toBe('line one\r\n\tline two');
  });

  test('updatePet refuses the same characters', async () => {
    const id = await newPet(app);
    const issues = await refused(
      `mutation ($id: ID!, $input: UpdatePetInput!) { updatePet(id: $id, input: $input) { ${errorFields('ValidationError', 'NotFoundError')} } }`,
      { id, input: { name: '\u0000' } },
    );
    expect(issues[0]?.message).toContain('control characters');
  });
});

describe('registerUser', () => {
  test.each([
    ['a NUL in the name', { name: 'Jo\u0000hn' }, 'name', 'control characters'],
    ['a lone surrogate in the name', { name: '\uD83DJohn' }, 'name', 'lone surrogate'],
    ['a NUL in the e-mail', { email: 'jo\u0000hn@example.com' }, 'email', 'control characters'],
    ['a dotted capital I in the e-mail', { email: 'İ@example.com' }, 'email', 'valid e-mail'],
    ['a NUL in the phone', { phone: '+1234\u0000567890' }, 'phone', 'international number'],
  ])('%s is a ValidationError', async (_what, change, field, message) => {
    const input = { name: 'John', email: 'john-text@example.com', phone: '+1234567890', ...change };
    const issues = await refused(REGISTER_USER, { id: 'text_user', input });
    expect(issues).toEqual([{ path: ['input', field], message: expect.stringContaining(message) }]);
  });
});

describe('orders', () => {
  test('special instructions and cancel reasons refuse NUL but keep line breaks', async () => {
    const petId = await newPet(app);
    const issues = await refused(CREATE_ORDER, {
      input: { customerId: 'customer_1', petId, specialInstructions: 'ring\u0000twice' },
    });
    expect(issues[0]?.path).toEqual(['input', 'specialInstructions']);

    const orderId = await newOrder(app, petId);
    const cancelIssues = await refused(CANCEL_ORDER, { id: orderId, reason: '\uDFFFchanged mind' });
    expect(cancelIssues[0]?.message).toContain('lone surrogate');
  });
});

describe('query filters', () => {
  test('a NUL in an outboxEvents filter is a client error, not an unexpected one', async () => {
    const response = await app.raw(
      'query ($id: String) { outboxEvents(aggregateId: $id) { edges { node { id } } } }',
      { id: 'x\u0000' },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toContain('control characters');
  });
});

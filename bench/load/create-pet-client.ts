import http from 'node:http';

/**
 * createPet as a client calls it, checked against schema.graphql: the result is the CreatePetResult
 * union (PetPayload, or an expected error implementing Error). Only the pet id is selected, so the
 * measurement is the write, not the serialisation of a large answer.
 */
export const CREATE_PET = `mutation CreatePet($input: CreatePetInput!) {
  createPet(input: $input) {
    __typename
    ... on PetPayload { pet { id } }
    ... on Error { message }
  }
}`;

type CreatePetResponse = {
  data?: { createPet?: { __typename: string; pet?: { id: string }; message?: string } };
  errors?: { message: string }[];
};

export type CreatePetOutcome = { ok: true; petId: string } | { ok: false; error: string };

/** A pet whose `pet.created` event is about 500 bytes, like the drain's payloads. */
export function petInput(index: number): Record<string, unknown> {
  return {
    name: `Bench pet ${index}`,
    species: 'dog',
    breed: 'Golden Retriever',
    age: 3,
    price: '1200.00',
    category: 'friendly',
    description:
      `A friendly and energetic dog, number ${index}, from the benchmark. ${'Loves long walks. '.repeat(8)}`.trim(),
  };
}

/**
 * Plain node:http with keep-alive (one socket per concurrent client): a load generator sharing two
 * cores with the service must spend as little as possible per request.
 */
export function createPetClient(graphqlUrl: string, { sockets }: { sockets: number }) {
  const url = new URL(graphqlUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });

  function createPet(index: number): Promise<CreatePetOutcome> {
    const body = JSON.stringify({ query: CREATE_PET, variables: { input: petInput(index) } });
    return new Promise((resolve) => {
      const request = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            try {
              const parsed = JSON.parse(text) as CreatePetResponse;
              const result = parsed.data?.createPet;
              if (result?.__typename === 'PetPayload' && result.pet?.id)
                resolve({ ok: true, petId: result.pet.id });
              else
                resolve({
                  ok: false,
                  error: result?.message ?? parsed.errors?.[0]?.message ?? `HTTP ${response.statusCode}`,
                });
            } catch {
              resolve({ ok: false, error: `HTTP ${response.statusCode}: ${text.slice(0, 200)}` });
            }
          });
        },
      );
      request.on('error', (error) => resolve({ ok: false, error: error.message }));
      request.end(body);
    });
  }

  return { createPet, close: () => agent.destroy() };
}

import type { CreatePetInput } from './pet.validation.ts';

/**
 * The design document's example pet, as a client sends it to createPet. The event contract's examples,
 * GraphiQL's ready-made operations, the demo and the tests all start from it.
 */
export const EXAMPLE_PET_INPUT = {
  name: 'Buddy',
  species: 'dog',
  breed: 'Golden Retriever',
  age: 3,
  price: '1200.00',
  category: 'friendly',
  description: 'A friendly and energetic dog',
} as const satisfies CreatePetInput;

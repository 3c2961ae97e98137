import { EXAMPLE_ORDER_INPUT } from '../../src/modules/orders/example-order.ts';
import { EXAMPLE_PET_INPUT } from '../../src/modules/pets/example-pet.ts';

/** createPet's input for the design document's example pet, with `changes` applied. */
export function examplePetInput(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...EXAMPLE_PET_INPUT, ...changes };
}

/** createOrder's input for the design document's example order of pet `petId`. */
export function exampleOrderInput(petId: string): Record<string, unknown> {
  return { ...EXAMPLE_ORDER_INPUT, petId };
}

import { EXAMPLE_PET_INPUT } from '../../src/modules/pets/example-pet.ts';

/** createPet's input for the design document's example pet, with `changes` applied. */
export function examplePetInput(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...EXAMPLE_PET_INPUT, ...changes };
}

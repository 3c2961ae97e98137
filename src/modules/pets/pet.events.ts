import { z } from 'zod';

/** The pet as every pet event carries it: all a consumer needs, money as an exact string. */
export const PetSnapshotV1 = z.object({
  id: z.string().uuid(),
  name: z.string(),
  species: z.string(),
  breed: z.string().nullable(),
  age: z.number().int().nullable(),
  price: z.string().describe('Exact decimal, e.g. "1200.00"'),
  category: z.string().nullable(),
  description: z.string().nullable(),
  status: z.enum(['available', 'pending', 'sold']),
  createdAt: z.string().describe('ISO 8601'),
  updatedAt: z.string().describe('ISO 8601'),
});

export const PetCreatedV1 = z.object({
  schemaVersion: z.literal(1),
  pet: PetSnapshotV1,
});

export type PetCreatedV1 = z.infer<typeof PetCreatedV1>;

type PetRow = {
  id: string;
  name: string;
  species: string;
  breed: string | null;
  age: number | null;
  price: { toFixed(digits: number): string };
  category: string | null;
  description: string | null;
  status: 'available' | 'pending' | 'sold';
  createdAt: Date;
  updatedAt: Date;
};

export function petSnapshot(pet: PetRow): z.infer<typeof PetSnapshotV1> {
  return {
    id: pet.id,
    name: pet.name,
    species: pet.species,
    breed: pet.breed,
    age: pet.age,
    price: pet.price.toFixed(2),
    category: pet.category,
    description: pet.description,
    status: pet.status,
    createdAt: pet.createdAt.toISOString(),
    updatedAt: pet.updatedAt.toISOString(),
  };
}

/** Built through the schema, so an event that breaks its own contract is never written. */
export function petCreated(pet: PetRow): PetCreatedV1 {
  return PetCreatedV1.parse({ schemaVersion: 1, pet: petSnapshot(pet) });
}

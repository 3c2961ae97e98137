import { z } from 'zod';
import { defineEvent } from '../../events/define-event.ts';
import { PetStatus } from '../../generated/prisma/enums.ts';
import { Money, Timestamp } from '../shared/event-fields.ts';
import { EXAMPLE_PET_INPUT } from './example-pet.ts';

/** The pet as every pet event carries it: all a consumer needs to act without calling back. */
export const PetSnapshotV1 = z
  .object({
    id: z.uuid().describe('The pet id; also the aggregate id and the Kafka message key.'),
    name: z.string(),
    species: z.string().describe('Lower-case, e.g. "dog".'),
    breed: z.string().nullable(),
    age: z.number().int().nullable().describe('In years.'),
    price: Money,
    category: z.string().nullable(),
    description: z.string().nullable(),
    status: z.enum(PetStatus).describe('available, pending (reserved by an open order) or sold.'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .describe('The pet after the change.');

export type PetSnapshot = z.infer<typeof PetSnapshotV1>;

/** The pet row as Prisma returns it (price is a Prisma Decimal, which has toFixed). */
export type PetRow = {
  id: string;
  name: string;
  species: string;
  breed: string | null;
  age: number | null;
  price: { toFixed(digits: number): string };
  category: string | null;
  description: string | null;
  status: PetStatus;
  createdAt: Date;
  updatedAt: Date;
};

export function petSnapshot(pet: PetRow): PetSnapshot {
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

const examplePet: PetSnapshot = {
  id: '0b9f3c52-8a3e-4a8e-9d4b-2f6c1e7a5d10',
  ...EXAMPLE_PET_INPUT,
  status: 'available',
  createdAt: '2026-11-26T10:30:00.000Z',
  updatedAt: '2026-11-26T10:30:00.000Z',
};

export const PetCreated = defineEvent({
  type: 'pet.created',
  aggregateType: 'pet',
  version: 1,
  description: 'A pet was added to the store.',
  emittedBy: 'createPet',
  fields: { pet: PetSnapshotV1 },
  example: { pet: examplePet },
});

/** The descriptive fields updatePet may change; price and status have events of their own. */
export const PET_DESCRIPTIVE_FIELDS = ['name', 'species', 'breed', 'age', 'category', 'description'] as const;
export type PetDescriptiveField = (typeof PET_DESCRIPTIVE_FIELDS)[number];

export const PetUpdated = defineEvent({
  type: 'pet.updated',
  aggregateType: 'pet',
  version: 1,
  description:
    "A pet's descriptive fields changed (not its price or status, which have events of their own).",
  emittedBy: 'updatePet (only when at least one value really changes)',
  fields: {
    pet: PetSnapshotV1,
    changedFields: z.array(z.enum(PET_DESCRIPTIVE_FIELDS)).min(1).describe('The fields whose value changed.'),
    previous: z
      .object({
        name: z.string(),
        species: z.string(),
        breed: z.string().nullable(),
        age: z.number().int().nullable(),
        category: z.string().nullable(),
        description: z.string().nullable(),
      })
      .partial()
      .describe('The value each changed field had before; only the changed fields are present.'),
  },
  example: {
    pet: { ...examplePet, age: 4, updatedAt: '2026-11-27T09:00:00.000Z' },
    changedFields: ['age'],
    previous: { age: 3 },
  },
});

export const PetPriceChanged = defineEvent({
  type: 'pet.price_changed',
  aggregateType: 'pet',
  version: 1,
  description:
    "A pet's price changed. Orders already placed keep the price they were placed at (their unitPrice).",
  emittedBy: 'changePetPrice (only when the price really changes)',
  fields: {
    pet: PetSnapshotV1,
    previousPrice: Money.describe('The price before the change.'),
  },
  example: {
    pet: { ...examplePet, price: '999.99', updatedAt: '2026-11-27T09:00:00.000Z' },
    previousPrice: '1200.00',
  },
});

export const PET_STATUS_CHANGE_REASONS = ['order_placed', 'order_cancelled', 'order_delivered'] as const;

export const PetStatusChanged = defineEvent({
  type: 'pet.status_changed',
  aggregateType: 'pet',
  version: 1,
  description:
    'A pet was reserved by an order (available → pending), released by its cancellation (pending → available) or sold by its delivery (pending → sold). Written in the same transaction as the order event, so the pets topic alone tells a catalogue what can be sold.',
  emittedBy: 'createOrder, cancelOrder, deliverOrder',
  fields: {
    pet: PetSnapshotV1,
    previousStatus: z.enum(PetStatus),
    reason: z.enum(PET_STATUS_CHANGE_REASONS),
    orderId: z.uuid().describe('The order that caused the change.'),
  },
  example: {
    pet: { ...examplePet, status: 'pending', updatedAt: '2026-11-27T09:00:00.000Z' },
    previousStatus: 'available',
    reason: 'order_placed',
    orderId: '5d2a8e61-3c4f-4b7a-8e9d-0a1b2c3d4e5f',
  },
});

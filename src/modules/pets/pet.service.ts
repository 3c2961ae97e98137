import type { PrismaClient } from '../../generated/prisma/client.ts';
import { enqueueOutboxEvent, type TransactionClient } from '../../outbox/enqueue.ts';
import { petCreated } from './pet.events.ts';

export type CreatePetInput = {
  name: string;
  species: string;
  breed?: string | null;
  age?: number | null;
  price: string;
  category?: string | null;
  description?: string | null;
  status?: 'available' | 'pending' | 'sold' | null;
};

/**
 * Inserts the pet and its `pet.created` outbox row in one interactive transaction: both or neither.
 * `afterPetInsert` exists for tests that prove the "neither" half by failing in between.
 */
export async function createPet(
  prisma: PrismaClient,
  input: CreatePetInput,
  {
    correlationId,
    topicPrefix,
    afterPetInsert,
  }: {
    correlationId: string;
    topicPrefix: string;
    afterPetInsert?: (tx: TransactionClient) => Promise<void>;
  },
) {
  return prisma.$transaction(async (tx) => {
    const pet = await tx.pet.create({
      data: {
        name: input.name,
        species: input.species,
        breed: input.breed ?? null,
        age: input.age ?? null,
        price: input.price,
        category: input.category ?? null,
        description: input.description ?? null,
        status: input.status ?? 'available',
      },
    });
    await afterPetInsert?.(tx);
    await enqueueOutboxEvent(
      tx,
      {
        aggregateType: 'pet',
        aggregateId: pet.id,
        eventType: 'pet.created',
        data: petCreated(pet),
        correlationId,
      },
      { topicPrefix },
    );
    return pet;
  });
}

/**
 * Compile-time checks of the library's types, enforced by `npm run typecheck` (CI's tsc): each
 * `@ts-expect-error` fails the type check the day the line it marks compiles. Nothing here runs.
 */
import type { PetSnapshot } from '../../src/modules/pets/pet.events.ts';
import type { OutboxService, OutboxTransaction } from '../../src/outbox-service/create-outbox-service.ts';

export async function libraryTypes(outbox: OutboxService, tx: OutboxTransaction, pet: PetSnapshot) {
  await outbox.publishPetEvent(tx, { petId: pet.id, eventType: 'created', data: { pet } });
  await outbox.publishEvent(tx, { type: 'pet.created', aggregateId: pet.id, data: { pet } });

  // @ts-expect-error no such pet event
  await outbox.publishPetEvent(tx, { petId: pet.id, eventType: 'exploded', data: { pet } });
  // @ts-expect-error an order event is no pet event
  await outbox.publishPetEvent(tx, { petId: pet.id, eventType: 'confirmed', data: { pet } });
  // @ts-expect-error pet.created carries the pet
  await outbox.publishEvent(tx, { type: 'pet.created', aggregateId: pet.id, data: {} });
  // @ts-expect-error pet.price_changed needs previousPrice
  await outbox.publishPetEvent(tx, { petId: pet.id, eventType: 'price_changed', data: { pet } });
  // @ts-expect-error the event type is the contract's
  await outbox.publishEvent(tx, { type: 'pet.deleted', aggregateId: pet.id, data: { pet } });
}

/**
 * The design document's two usage examples, written against the outbox library: a pet created
 * with its `pet.created` event, and an order created then confirmed in one transaction
 * (`order.created`, then `order.confirmed`). Each business row and its events commit together; the
 * relay then publishes the events to Kafka.
 *
 *   npx tsx examples/outbox-library.ts
 *   npm run events -- --from-beginning
 *
 * Reads DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC_PREFIX like the service (src/config/env.ts);
 * expects a migrated database (`npm run db:migrate`). An installed package imports
 * `petstore-outbox` instead of `../src/index.ts`.
 */

import { fileURLToPath } from 'node:url';
import {
  createOutboxService,
  loadConfig,
  type OutboxService,
  orderSnapshot,
  petSnapshot,
} from '../src/index.ts';

/** The design document's `create_pet_example`: the pet row and its event in one transaction. */
export async function createPetExample(
  outbox: OutboxService,
  correlationId = 'corr_456',
): Promise<{ petId: string; eventId: string }> {
  return outbox.withTransaction(async (tx) => {
    const pet = await tx.pet.create({ data: { name: 'Max', species: 'dog', price: '800.00' } });
    const event = await outbox.publishPetEvent(tx, {
      petId: pet.id,
      eventType: 'created',
      data: { pet: petSnapshot(pet) },
      correlationId,
    });
    // Commits when this function returns; the relay publishes the event afterwards.
    return { petId: pet.id, eventId: event.id };
  });
}

/**
 * The design document's `process_order_example`: the order is created and confirmed in one
 * transaction, with one event per step. The pet is reserved by the order, and that is an event of
 * the pet (`pet.status_changed`): consumers of the pets topic learn it is no longer for sale.
 */
export async function processOrderExample(
  outbox: OutboxService,
  petId: string,
  correlationId = 'corr_789',
): Promise<{ orderId: string }> {
  return outbox.withTransaction(async (tx) => {
    const available = await tx.pet.findUniqueOrThrow({ where: { id: petId } });
    const pet = await tx.pet.update({ where: { id: petId }, data: { status: 'pending' } });
    const order = await tx.order.create({
      data: {
        customerId: 'customer_123',
        petId,
        quantity: 1,
        specialInstructions: 'Please handle with care',
        status: 'pending',
        unitPrice: pet.price,
        totalPrice: pet.price,
      },
    });
    await outbox.publishPetEvent(tx, {
      petId,
      eventType: 'status_changed',
      data: {
        pet: petSnapshot(pet),
        previousStatus: available.status,
        reason: 'order_placed',
        orderId: order.id,
      },
      correlationId,
    });
    await outbox.publishOrderEvent(tx, {
      orderId: order.id,
      eventType: 'created',
      data: { order: orderSnapshot(order), pet: petSnapshot(pet) },
      correlationId,
    });

    const confirmed = await tx.order.update({
      where: { id: order.id },
      data: { status: 'confirmed', confirmedAt: new Date() },
    });
    await outbox.publishOrderEvent(tx, {
      orderId: order.id,
      eventType: 'confirmed',
      data: { order: orderSnapshot(confirmed) },
      correlationId,
    });
    return { orderId: order.id };
  });
}

async function main(): Promise<void> {
  const outbox = createOutboxService({ config: loadConfig(), relay: { mode: 'standalone' } });
  await outbox.start();
  try {
    const { petId, eventId } = await createPetExample(outbox);
    const { orderId } = await processOrderExample(outbox, petId);
    console.log(`pet ${petId} (event ${eventId}), order ${orderId}: four events written`);
    // Gives the relay the moment it needs to publish them before this process stops.
    const deadline = Date.now() + 10_000;
    while ((await outbox.metrics()).pendingEvents > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await outbox.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

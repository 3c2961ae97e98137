import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.ts';
import { parseInput } from '../../domain/parse-input.ts';
import { type EventContext, recordEvent } from '../../events/record-event.ts';
import type { Order, OrderStatus, PrismaClient } from '../../generated/prisma/client.ts';
import type { EnqueuedEvent, TransactionClient } from '../../outbox/enqueue.ts';
import { petSnapshot } from '../pets/pet.events.ts';
import { changePetStatus, type PetStatusChange } from '../pets/pet-status.ts';
import { InvalidTransitionError, PetNotAvailableError } from './order.errors.ts';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderCreated,
  OrderDelivered,
  orderSnapshot,
} from './order.events.ts';
import { CancelReason, CreateOrderRules, OrderId } from './order.validation.ts';
import { canTransition } from './order-workflow.ts';

/** A business change and the events its transaction wrote, in the order written. */
export type OrderChange = { order: Order; events: EnqueuedEvent[] };

/**
 * Places an order for one available pet: reserves the pet (available → pending), inserts the pending
 * order, and writes `pet.status_changed` and `order.created`; with `confirm`, also confirms it and
 * writes `order.confirmed` (the order's sequence 1, then 2), all in one transaction.
 *
 * The reservation is a conditional UPDATE that checks and changes the pet's status in one statement,
 * so of several concurrent orders for one pet exactly one reserves it; the others find it pending,
 * throw PetNotAvailableError and roll back with no order and no outbox row.
 */
export async function createOrder(
  prisma: PrismaClient,
  rawInput: unknown,
  { confirm = false }: { confirm?: boolean },
  context: EventContext,
): Promise<OrderChange> {
  const input = parseInput(CreateOrderRules, rawInput, ['input']);
  // Known before the insert, so the pet's event can name the order that reserved it.
  const orderId = randomUUID();
  return prisma.$transaction(async (tx) => {
    const reserved = await changePetStatus(
      tx,
      { petId: input.petId, from: 'available', to: 'pending', reason: 'order_placed', orderId },
      context,
    );
    if (!reserved) {
      const pet = await tx.pet.findUnique({ where: { id: input.petId }, select: { status: true } });
      throw pet ? new PetNotAvailableError(input.petId, pet.status) : new NotFoundError('Pet', input.petId);
    }
    const unitPrice = reserved.pet.price;
    let order = await tx.order.create({
      data: {
        id: orderId,
        customerId: input.customerId,
        petId: input.petId,
        quantity: input.quantity,
        specialInstructions: input.specialInstructions ?? null,
        status: 'pending',
        unitPrice,
        // Decimal arithmetic (decimal.js), never floats.
        totalPrice: unitPrice.mul(input.quantity),
      },
    });
    const events = [
      reserved.event,
      await recordEvent(
        tx,
        OrderCreated,
        orderId,
        { order: orderSnapshot(order), pet: petSnapshot(reserved.pet) },
        context,
      ),
    ];
    if (confirm) {
      order = await tx.order.update({
        where: { id: orderId },
        data: { status: 'confirmed', confirmedAt: new Date() },
      });
      events.push(await recordEvent(tx, OrderConfirmed, orderId, { order: orderSnapshot(order) }, context));
    }
    return { order, events };
  });
}

/**
 * Locks the order's row until the transaction ends, then checks the workflow allows `to`. With the
 * lock, two steps on one order (say confirm and cancel at once) run one after the other, and the
 * second sees the first's result: it either is still legal or gets InvalidTransitionError.
 */
async function lockForTransition(tx: TransactionClient, id: string, to: OrderStatus): Promise<Order> {
  const locked = await tx.$queryRaw<
    { id: string }[]
  >`SELECT id FROM orders WHERE id = ${id}::uuid FOR UPDATE`;
  if (locked.length === 0) throw new NotFoundError('Order', id);
  const order = await tx.order.findUniqueOrThrow({ where: { id } });
  if (!canTransition(order.status, to)) throw new InvalidTransitionError(id, order.status, to);
  return order;
}

const OrderIdArgs = z.object({ id: OrderId });

/** pending → confirmed, writing `order.confirmed`. */
export async function confirmOrder(
  prisma: PrismaClient,
  rawId: unknown,
  context: EventContext,
): Promise<OrderChange> {
  const { id } = parseInput(OrderIdArgs, { id: rawId }, []);
  return prisma.$transaction(async (tx) => {
    await lockForTransition(tx, id, 'confirmed');
    const order = await tx.order.update({
      where: { id },
      data: { status: 'confirmed', confirmedAt: new Date() },
    });
    const event = await recordEvent(tx, OrderConfirmed, id, { order: orderSnapshot(order) }, context);
    return { order, events: [event] };
  });
}

type ClosingStep = {
  to: 'delivered' | 'cancelled';
  stamp: { deliveredAt: Date } | { cancelledAt: Date; cancelReason: string };
  pet: Pick<PetStatusChange, 'to' | 'reason'>;
  recordOrderEvent: (tx: TransactionClient, order: Order, previous: Order) => Promise<EnqueuedEvent>;
};

/**
 * The last step of an order, delivery or cancellation: the order reaches its final status and the pet
 * it reserved leaves pending (sold, or available again), in one transaction, order event first.
 */
async function closeOrder(
  prisma: PrismaClient,
  id: string,
  step: ClosingStep,
  context: EventContext,
): Promise<OrderChange> {
  return prisma.$transaction(async (tx) => {
    const current = await lockForTransition(tx, id, step.to);
    const order = await tx.order.update({ where: { id }, data: { status: step.to, ...step.stamp } });
    const orderEvent = await step.recordOrderEvent(tx, order, current);
    const released = await changePetStatus(
      tx,
      { petId: current.petId, from: 'pending', ...step.pet, orderId: id },
      context,
    );
    if (!released) {
      throw new Error(`order ${id} is ${current.status} but its pet ${current.petId} is not reserved`);
    }
    return { order, events: [orderEvent, released.event] };
  });
}

/** confirmed → delivered, and the pet pending → sold; writes `order.delivered` and `pet.status_changed`. */
export async function deliverOrder(
  prisma: PrismaClient,
  rawId: unknown,
  context: EventContext,
): Promise<OrderChange> {
  const { id } = parseInput(OrderIdArgs, { id: rawId }, []);
  return closeOrder(
    prisma,
    id,
    {
      to: 'delivered',
      stamp: { deliveredAt: new Date() },
      pet: { to: 'sold', reason: 'order_delivered' },
      recordOrderEvent: (tx, order) =>
        recordEvent(tx, OrderDelivered, id, { order: orderSnapshot(order) }, context),
    },
    context,
  );
}

const CancelArgs = z.object({ id: OrderId, reason: CancelReason });

/** pending or confirmed → cancelled, and the pet pending → available; writes `order.cancelled` and `pet.status_changed`. */
export async function cancelOrder(
  prisma: PrismaClient,
  rawId: unknown,
  rawReason: unknown,
  context: EventContext,
): Promise<OrderChange> {
  const { id, reason } = parseInput(CancelArgs, { id: rawId, reason: rawReason }, []);
  return closeOrder(
    prisma,
    id,
    {
      to: 'cancelled',
      stamp: { cancelledAt: new Date(), cancelReason: reason },
      pet: { to: 'available', reason: 'order_cancelled' },
      recordOrderEvent: (tx, order, previous) =>
        recordEvent(
          tx,
          OrderCancelled,
          id,
          // lockForTransition let only pending and confirmed orders through.
          { order: orderSnapshot(order), previousStatus: previous.status as 'pending' | 'confirmed', reason },
          context,
        ),
    },
    context,
  );
}

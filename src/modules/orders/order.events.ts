import { z } from 'zod';
import { defineEvent } from '../../events/define-event.ts';
import { OrderStatus } from '../../generated/prisma/enums.ts';
import { PetCreated, PetSnapshotV1 } from '../pets/pet.events.ts';
import { Money, Timestamp } from '../shared/event-fields.ts';
import { EXAMPLE_ORDER_INPUT } from './example-order.ts';

/** The order as every order event carries it, after the change. */
export const OrderSnapshotV1 = z
  .object({
    id: z.uuid().describe('The order id; also the aggregate id and the Kafka message key.'),
    customerId: z.string(),
    petId: z.uuid(),
    quantity: z.literal(1).describe('Always 1: a pet is one animal.'),
    specialInstructions: z.string().nullable(),
    status: z.enum(OrderStatus),
    unitPrice: Money.describe("The pet's price when the order was placed."),
    totalPrice: Money.describe('unitPrice × quantity, exact.'),
    cancelReason: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    confirmedAt: Timestamp.nullable(),
    deliveredAt: Timestamp.nullable(),
    cancelledAt: Timestamp.nullable(),
  })
  .describe('The order after the change.');

export type OrderSnapshot = z.infer<typeof OrderSnapshotV1>;

export type OrderRow = {
  id: string;
  customerId: string;
  petId: string;
  quantity: number;
  specialInstructions: string | null;
  status: OrderStatus;
  unitPrice: { toFixed(digits: number): string };
  totalPrice: { toFixed(digits: number): string };
  cancelReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  confirmedAt: Date | null;
  deliveredAt: Date | null;
  cancelledAt: Date | null;
};

export function orderSnapshot(order: OrderRow): OrderSnapshot {
  return {
    id: order.id,
    customerId: order.customerId,
    petId: order.petId,
    // The schema's literal rejects anything else, so a row that broke the rule is never announced.
    quantity: order.quantity as 1,
    specialInstructions: order.specialInstructions,
    status: order.status,
    unitPrice: order.unitPrice.toFixed(2),
    totalPrice: order.totalPrice.toFixed(2),
    cancelReason: order.cancelReason,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    confirmedAt: order.confirmedAt?.toISOString() ?? null,
    deliveredAt: order.deliveredAt?.toISOString() ?? null,
    cancelledAt: order.cancelledAt?.toISOString() ?? null,
  };
}

const exampleOrder: OrderSnapshot = {
  id: '5d2a8e61-3c4f-4b7a-8e9d-0a1b2c3d4e5f',
  ...EXAMPLE_ORDER_INPUT,
  petId: PetCreated.example.pet.id,
  status: 'pending',
  unitPrice: '1200.00',
  totalPrice: '1200.00',
  cancelReason: null,
  createdAt: '2026-11-27T09:00:00.000Z',
  updatedAt: '2026-11-27T09:00:00.000Z',
  confirmedAt: null,
  deliveredAt: null,
  cancelledAt: null,
};

export const OrderCreated = defineEvent({
  type: 'order.created',
  aggregateType: 'order',
  version: 1,
  description:
    "An order was placed; it is pending and holds the pet (the same transaction writes the pet's `pet.status_changed`).",
  emittedBy: 'createOrder',
  fields: {
    order: OrderSnapshotV1,
    pet: PetSnapshotV1.describe('The ordered pet as reserved by this order (status pending).'),
  },
  example: {
    order: exampleOrder,
    pet: { ...PetCreated.example.pet, status: 'pending', updatedAt: '2026-11-27T09:00:00.000Z' },
  },
});

export const OrderConfirmed = defineEvent({
  type: 'order.confirmed',
  aggregateType: 'order',
  version: 1,
  description: 'A pending order was confirmed. The pet stays reserved until delivery or cancellation.',
  emittedBy: 'confirmOrder, or createOrder with confirm: true (right after order.created, same transaction)',
  fields: { order: OrderSnapshotV1 },
  example: {
    order: {
      ...exampleOrder,
      status: 'confirmed',
      confirmedAt: '2026-11-27T09:05:00.000Z',
      updatedAt: '2026-11-27T09:05:00.000Z',
    },
  },
});

export const OrderDelivered = defineEvent({
  type: 'order.delivered',
  aggregateType: 'order',
  version: 1,
  description: "A confirmed order was delivered; the pet is sold (see the pet's `pet.status_changed`).",
  emittedBy: 'deliverOrder',
  fields: { order: OrderSnapshotV1 },
  example: {
    order: {
      ...exampleOrder,
      status: 'delivered',
      confirmedAt: '2026-11-27T09:05:00.000Z',
      deliveredAt: '2026-11-28T15:00:00.000Z',
      updatedAt: '2026-11-28T15:00:00.000Z',
    },
  },
});

export const OrderCancelled = defineEvent({
  type: 'order.cancelled',
  aggregateType: 'order',
  version: 1,
  description:
    "A pending or confirmed order was cancelled; the pet is available again (see the pet's `pet.status_changed`).",
  emittedBy: 'cancelOrder',
  fields: {
    order: OrderSnapshotV1,
    previousStatus: z
      .enum(OrderStatus)
      .extract([OrderStatus.pending, OrderStatus.confirmed])
      .describe('The status the order was cancelled from.'),
    reason: z.string().describe("The client's reason, also in order.cancelReason."),
  },
  example: {
    order: {
      ...exampleOrder,
      status: 'cancelled',
      cancelReason: 'Customer changed their mind',
      cancelledAt: '2026-11-27T10:00:00.000Z',
      updatedAt: '2026-11-27T10:00:00.000Z',
    },
    previousStatus: 'pending',
    reason: 'Customer changed their mind',
  },
});

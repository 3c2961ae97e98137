import type { OrderStatus } from '../../generated/prisma/enums.ts';

/**
 * The order workflow of the design document's `process_order_example`, as the only legal moves:
 * pending → confirmed → delivered, and pending or confirmed → cancelled. Delivered and cancelled
 * are final: a cancelled order cannot be confirmed, a delivered one cannot be cancelled.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['delivered', 'cancelled'],
  delivered: [],
  cancelled: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

import type { OrderStatus, PetStatus } from '../../generated/prisma/enums.ts';

/** The order is not in a state the requested step may start from; nothing was written. */
export class InvalidTransitionError extends Error {
  constructor(
    readonly orderId: string,
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(`order ${orderId} is ${from} and cannot become ${to}`);
    this.name = 'InvalidTransitionError';
  }
}

/**
 * The pet exists but cannot be ordered: another order holds it (pending) or it is sold. Also what the
 * loser of two concurrent orders for one pet gets, since the winner's reservation is what it sees.
 */
export class PetNotAvailableError extends Error {
  constructor(
    readonly petId: string,
    readonly status: PetStatus,
  ) {
    super(`pet ${petId} is ${status}, not available`);
    this.name = 'PetNotAvailableError';
  }
}

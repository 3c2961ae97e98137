import type { CreateOrderInput } from './order.validation.ts';

/**
 * The design document's example order, as a client sends it to createOrder, without the pet it is
 * for: the event contract's examples, the demo and the tests start from it.
 */
export const EXAMPLE_ORDER_INPUT = {
  customerId: 'customer_123',
  quantity: 1,
  specialInstructions: 'Please handle with care',
} as const satisfies Omit<CreateOrderInput, 'petId'>;

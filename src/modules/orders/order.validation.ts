import { z } from 'zod';
import { PetId } from '../pets/pet.validation.ts';
import { text } from '../shared/text.validation.ts';
import { UserId } from '../users/user.validation.ts';

export const OrderId = z.uuid('must be an order id (a UUID)');

export const CreateOrderRules = z.object({
  // Not required to be a registered user: the design document orders for "customer_123" without
  // registering anyone, so customers may live elsewhere. The id follows the same rules as user ids.
  customerId: UserId,
  petId: PetId,
  // A pet row is one animal, so an order is for exactly that animal: 1 is the only quantity that
  // means something. It stays in the API because the design document sends it, and anything else
  // is refused rather than silently ignored or clamped (there are no "3 of Buddy").
  quantity: z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .refine((quantity) => quantity === 1, 'must be 1: a pet is one animal; order each pet separately')
    .nullish()
    .transform((quantity) => quantity ?? 1),
  specialInstructions: text(1000, { multiline: true }).nullish(),
});

export type CreateOrderInput = z.input<typeof CreateOrderRules>;

export const CancelReason = text(1000, { multiline: true });

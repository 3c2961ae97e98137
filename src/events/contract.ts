import {
  OrderCancelled,
  OrderConfirmed,
  OrderCreated,
  OrderDelivered,
} from '../modules/orders/order.events.ts';
import { PetCreated, PetPriceChanged, PetStatusChanged, PetUpdated } from '../modules/pets/pet.events.ts';
import { UserRegistered } from '../modules/users/user.events.ts';
import type { EventDefinition } from './define-event.ts';

/**
 * Every event the service publishes, at its current version: the contract with consumers.
 * docs/events.md is generated from this list (`npx tsx scripts/print-event-docs.ts`) and a test
 * fails when the two differ. Adding an event type means adding it here.
 */
export const eventContract = [
  PetCreated,
  PetUpdated,
  PetPriceChanged,
  PetStatusChanged,
  OrderCreated,
  OrderConfirmed,
  OrderDelivered,
  OrderCancelled,
  UserRegistered,
] as const satisfies readonly EventDefinition[];

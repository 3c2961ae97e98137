/**
 * The package's public API (`import { createOutboxService } from 'petstore-outbox'`): the outbox as a
 * library. Nothing inside src/ imports this file; it only names what the package promises to keep.
 */
export { type Config, ConfigError, loadConfig } from './config/env.ts';
export { createLogger, type Logger } from './infra/logger.ts';
export { type OrderSnapshot, orderSnapshot } from './modules/orders/order.events.ts';
export { type PetSnapshot, petSnapshot } from './modules/pets/pet.events.ts';
export { userSnapshot } from './modules/users/user.events.ts';
export type { EnqueuedEvent } from './outbox/enqueue.ts';
export type { RelayObserver, RelayStatus } from './outbox/relay/create-relay.ts';
export type { OutboxSnapshot } from './outbox/status/outbox-snapshot.ts';
export type { OutboxState, OutboxStatus } from './outbox/status/outbox-status.ts';
export {
  createOutboxService,
  type OutboxService,
  type OutboxServiceOptions,
  type OutboxTransaction,
  type RelayOptions,
} from './outbox-service/create-outbox-service.ts';
export {
  InvalidOutboxEventError,
  type OrderEventInput,
  type OutboxEventInput,
  type OutboxEventIssue,
  type OutboxEventPayload,
  type OutboxEventType,
  type PetEventInput,
  type UserEventInput,
} from './outbox-service/outbox-event.ts';

import { z } from 'zod';
import { defineEvent } from '../../events/define-event.ts';
import { Timestamp } from '../shared/event-fields.ts';

export const UserSnapshotV1 = z.object({
  id: z
    .string()
    .describe('The user id chosen at registration; also the aggregate id and the Kafka message key.'),
  name: z.string(),
  email: z.string().describe('Lower-case.'),
  phone: z.string().describe('E.164, e.g. "+1234567890".'),
  registeredAt: Timestamp,
});

export type UserRow = { id: string; name: string; email: string; phone: string; registeredAt: Date };

export function userSnapshot(user: UserRow): z.infer<typeof UserSnapshotV1> {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    phone: user.phone,
    registeredAt: user.registeredAt.toISOString(),
  };
}

export const UserRegistered = defineEvent({
  type: 'user.registered',
  aggregateType: 'user',
  version: 1,
  description: "A user registered (the design document's `users/{id}/register`).",
  emittedBy: 'registerUser',
  fields: { user: UserSnapshotV1 },
  example: {
    user: {
      id: 'user_789',
      name: 'John Doe',
      email: 'john@example.com',
      phone: '+1234567890',
      registeredAt: '2026-11-26T10:30:00.000Z',
    },
  },
});

/**
 * Outbox payloads of user events carry the user's e-mail and phone number (consumers need them on
 * Kafka). Through the API they are personal data like the User fields: only an admin sees them.
 */
const CONTACT_FIELDS = ['email', 'phone'] as const;

/** The payload with `user.email` and `user.phone` set to null when the caller is not an admin. */
export function withoutUserContact(aggregateType: string, data: unknown, admin: boolean): unknown {
  if (admin || aggregateType !== 'user' || !isObject(data) || !isObject(data.user)) return data;
  const user = { ...data.user };
  for (const field of CONTACT_FIELDS) if (field in user) user[field] = null;
  return { ...data, user };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { z } from 'zod';
import { text } from '../shared/text.validation.ts';

/** Client-chosen ids (the design document's `users/{id}/register`), safe in URLs, logs and Kafka keys. */
export const UserId = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"');

/** Stored lower-cased, which is what makes the unique index case-insensitive. */
export const Email = text(320, { transform: (value) => value.toLowerCase() }).pipe(
  z.email('must be a valid e-mail address'),
);

const PHONE_SEPARATORS = /[\s().-]/g;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * E.164, normalised: people write "+1 234-567-890" or "+44 (20) 7946.0958", so spaces, dashes, dots
 * and brackets are dropped and the rest must be "+", a country code and at most 15 digits in all.
 * A number without "+" and country code is refused rather than guessed at.
 */
export const Phone = z
  .string({ error: 'must be a string' })
  .trim()
  .transform((value) => value.replace(PHONE_SEPARATORS, ''))
  .refine((value) => E164.test(value), {
    message: 'must be an international number such as +1234567890 (E.164: "+", country code, 7 to 15 digits)',
  });

export const RegisterUserRules = z.object({
  name: text(200),
  email: Email,
  phone: Phone,
});

export type RegisterUserInput = z.input<typeof RegisterUserRules>;

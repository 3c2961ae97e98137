import { z } from 'zod';
import { PetStatus } from '../../generated/prisma/enums.ts';
import { text } from '../shared/text.validation.ts';

/** No pet in this store costs more: a larger amount is a typo (or worse), refused rather than stored. */
export const MAX_PRICE = '1000000.00';
export const MAX_AGE = 100;

const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/**
 * A price as the Decimal scalar delivers it (a string of digits). Checked on the string, never on a
 * float: "0.1" + "0.2" must stay exact, and "1e400" or "NaN" are not prices. Returns the canonical
 * form with two decimals, e.g. "1200" → "1200.00".
 */
export const Price = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    if (!DECIMAL.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a decimal amount such as "1200.00"' });
      return;
    }
    if (value.startsWith('-') && !/^-0+(\.0+)?$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must not be negative' });
      return;
    }
    const [, decimals = ''] = value.split('.');
    if (decimals.length > 2) {
      ctx.addIssue({ code: 'custom', message: 'must have at most 2 decimal places' });
      return;
    }
    if (compareDecimal(value.replace(/^[+-]/, ''), MAX_PRICE) > 0) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_PRICE}` });
    }
  })
  .transform((value) => canonicalMoney(value.replace(/^[+-]/, '')));

/** "007.5" → "7.50"; the input is already known to be digits with at most two decimals. */
function canonicalMoney(value: string): string {
  const [whole = '0', decimals = ''] = value.split('.');
  return `${whole.replace(/^0+(?=\d)/, '')}.${decimals.padEnd(2, '0')}`;
}

/** Compares two non-negative decimal strings exactly (no floats). */
function compareDecimal(a: string, b: string): number {
  const [aWhole = '0', aFraction = ''] = a.split('.');
  const [bWhole = '0', bFraction = ''] = b.split('.');
  const wholeA = aWhole.replace(/^0+(?=\d)/, '');
  const wholeB = bWhole.replace(/^0+(?=\d)/, '');
  if (wholeA.length !== wholeB.length) return wholeA.length < wholeB.length ? -1 : 1;
  if (wholeA !== wholeB) return wholeA < wholeB ? -1 : 1;
  const width = Math.max(aFraction.length, bFraction.length);
  const fa = aFraction.padEnd(width, '0');
  const fb = bFraction.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

const Species = text(50, { transform: (value) => value.toLowerCase() });
const Age = z
  .number()
  .int('must be a whole number of years')
  .min(0, 'must not be negative')
  .max(MAX_AGE, `must be at most ${MAX_AGE}`);

export const CreatePetRules = z.object({
  name: text(100),
  species: Species,
  breed: text(100).nullish(),
  age: Age.nullish(),
  price: Price,
  category: text(50).nullish(),
  description: text(2000, { multiline: true }).nullish(),
  status: z.enum(PetStatus).nullish(),
});

export type CreatePetInput = z.input<typeof CreatePetRules>;

/**
 * Every field optional: absent means "leave as is". The optional fields may be set to null to
 * clear them; name and species are required on a pet, so null is refused for them.
 */
export const UpdatePetRules = z.object({
  name: text(100).optional(),
  species: Species.optional(),
  breed: text(100).nullable().optional(),
  age: Age.nullable().optional(),
  category: text(50).nullable().optional(),
  description: text(2000, { multiline: true }).nullable().optional(),
});

export type UpdatePetInput = z.input<typeof UpdatePetRules>;

export const PetId = z.uuid('must be a pet id (a UUID)');

import { z } from 'zod';

/** Money in events: an exact decimal string with two places, never a JSON number (a float to most parsers). */
export const Money = z
  .string()
  .regex(/^\d{1,12}\.\d{2}$/)
  .describe('An exact decimal amount with two places, as a string, e.g. "1200.00".');

export const Timestamp = z.iso.datetime().describe('ISO 8601 in UTC, e.g. "2026-11-26T10:30:00.000Z".');

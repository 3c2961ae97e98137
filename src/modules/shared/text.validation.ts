import { z } from 'zod';

/**
 * Free text from clients, made safe to store and show: refused when it holds control characters
 * (NUL among them, which PostgreSQL cannot store at all) or lone surrogates (not Unicode: they cannot
 * be encoded as UTF-8), normalised to NFC (so "é" typed two ways is one string, and one length),
 * trimmed, and only then measured, in characters (code points) as the database counts them. A
 * transform such as lower-casing runs before the measurement too: "İ".toLowerCase() is two characters.
 */

/** C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F). */
const CONTROL = /\p{Cc}/u;
/** The same, except tab, line feed and carriage return, which multi-line text may hold. */
const CONTROL_EXCEPT_LINE_BREAKS = /(?![\t\n\r])\p{Cc}/u;
/** With the u flag a valid surrogate pair is one code point; only a lone half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

export type TextOptions = {
  /** Allows tab, line feed and carriage return (descriptions, reasons). */
  multiline?: boolean;
  /** Applied after normalisation and before the length check, e.g. lower-casing. */
  transform?: (value: string) => string;
};

/** The problem with a string's characters, or null: the checks `text()` makes before anything else. */
export function characterProblem(value: string, { multiline = false } = {}): string | null {
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (it holds a lone surrogate)';
  if ((multiline ? CONTROL_EXCEPT_LINE_BREAKS : CONTROL).test(value)) {
    return multiline
      ? 'must not contain control characters (other than tabs and line breaks)'
      : 'must not contain control characters';
  }
  return null;
}

export const characterCount = (value: string): number => {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
};

/** Trimmed, NFC, non-empty, at most `max` characters after every transform. */
export const text = (max: number, { multiline = false, transform = (value) => value }: TextOptions = {}) =>
  z
    .string({ error: 'must be a string' })
    .superRefine((value, ctx) => {
      const problem = characterProblem(value, { multiline });
      if (problem) ctx.addIssue({ code: 'custom', message: problem, abort: true });
    })
    .transform((value) => transform(value.normalize('NFC').trim()).normalize('NFC'))
    .superRefine((value, ctx) => {
      if (value.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
      else if (characterCount(value) > max) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${max} characters` });
      }
    });

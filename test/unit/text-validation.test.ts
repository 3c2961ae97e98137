import { describe, expect, test } from 'vitest';
import { characterCount, characterProblem, text } from '../../src/modules/shared/text.validation.ts';

describe('text()', () => {
  test('normalises to NFC, trims, and measures in characters after the transform', () => {
    expect(text(3).parse('  e\u0301e\u0301e\u0301 ')).toBe('\u00e9\u00e9\u00e9');
    expect(text(2).parse('😀😀')).toBe('😀😀');
    const lower = text(3, { transform: (value) => value.toLowerCase() });
    expect(lower.safeParse('İİ').success).toBe(false);
    expect(lower.parse('İ')).toBe('i\u0307');
  });

  test('refuses control characters and lone surrogates; line breaks only where allowed', () => {
    expect(text(10).safeParse('a\u0000b').success).toBe(false);
    expect(text(10).safeParse('a\nb').success).toBe(false);
    expect(text(10, { multiline: true }).parse('a\r\n\tb')).toBe('a\r\n\tb');
    expect(text(10, { multiline: true }).safeParse('a\u0000b').success).toBe(false);
    expect(characterProblem('\uD800')).toContain('lone surrogate');
    expect(characterProblem('😀')).toBeNull();
    expect(characterCount('😀é')).toBe(2);
  });
});

import { describe, expect, test } from 'vitest';
import { Price } from '../../src/modules/pets/pet.validation.ts';

describe('Price', () => {
  test.each([
    ['1200', '1200.00'],
    ['1200.5', '1200.50'],
    ['0.1', '0.10'],
    ['007.05', '7.05'],
    ['0', '0.00'],
    ['-0', '0.00'],
    ['+15.00', '15.00'],
    [' 3.30 ', '3.30'],
    ['1000000.00', '1000000.00'],
  ])('accepts %j as %j', (input, canonical) => {
    expect(Price.parse(input)).toBe(canonical);
  });

  test.each([
    ['-0.01', 'must not be negative'],
    ['0.001', 'at most 2 decimal places'],
    ['1000000.001', 'at most 2 decimal places'],
    ['1000000.01', 'at most 1000000.00'],
    ['00001000001', 'at most 1000000.00'],
    ['NaN', 'decimal amount'],
    ['Infinity', 'decimal amount'],
    ['1e3', 'decimal amount'],
    ['', 'decimal amount'],
    ['12,50', 'decimal amount'],
  ])('refuses %j', (input, message) => {
    const result = Price.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([expect.stringContaining(message)]);
  });
});

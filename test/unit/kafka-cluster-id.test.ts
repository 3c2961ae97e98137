import { describe, expect, test } from 'vitest';
import { newClusterId } from '../../scripts/kafka/broker/configuration.ts';

describe('the KRaft cluster id', () => {
  test('never starts with "-", which the storage tool would read as an option', () => {
    // 0xf8 makes the first base64url character '-' (index 62).
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x00)];
    let calls = 0;
    const id = newClusterId(() => draws[calls++] as Buffer);
    expect(calls).toBe(2);
    expect(id).toBe(Buffer.alloc(16, 0x00).toString('base64url'));
  });

  test('is 16 random bytes in URL-safe base64, as kafka-storage random-uuid prints', () => {
    const ids = Array.from({ length: 2000 }, () => newClusterId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

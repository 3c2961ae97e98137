/** The circuit breaker's states and timing, on a fake clock (pure code, no broker needed). */
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { retryDelayMs } from '../../src/outbox/relay/backoff.ts';
import { isBrokerUnavailable } from '../../src/outbox/relay/broker-errors.ts';
import { CircuitBreaker, type CircuitState } from '../../src/outbox/relay/circuit-breaker.ts';

describe('CircuitBreaker', () => {
  test('opens on a broker failure, probes after a growing pause, and closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(
      pino({ level: 'silent' }),
      { failureThreshold: 1, openMs: 500, maxOpenMs: 1500 },
      () => now,
    );
    const seen: CircuitState[] = [];
    breaker.onChange((state) => seen.push(state));

    expect(breaker.allowsAttempt()).toBe(true);
    breaker.recordBrokerFailure('ECONNREFUSED');
    expect(breaker.allowsAttempt()).toBe(false);
    expect(breaker.msUntilProbe()).toBe(500);
    now = 500;
    expect(breaker.allowsAttempt()).toBe(true); // half-open: one probe
    breaker.recordBrokerFailure('ECONNREFUSED');
    expect(breaker.msUntilProbe()).toBe(1000); // doubled
    now = 1500;
    expect(breaker.allowsAttempt()).toBe(true);
    breaker.recordBrokerFailure('ECONNREFUSED');
    expect(breaker.msUntilProbe()).toBe(1500); // capped
    now = 3000;
    expect(breaker.allowsAttempt()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(seen).toEqual(['open', 'half-open', 'open', 'half-open', 'open', 'half-open', 'closed']);
  });
});

describe('retryDelayMs', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
  test('doubles per retry, capped, with jitter in the upper half', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
  });
});

describe('isBrokerUnavailable', () => {
  test('tells an outage from a refusal of the message', () => {
    const refused = Object.assign(new Error('too large'), { name: 'KafkaJSProtocolError', retriable: false });
    const connection = Object.assign(new Error('refused'), { name: 'KafkaJSConnectionError' });
    const exhausted = Object.assign(new Error('gave up'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: connection,
    });
    expect(isBrokerUnavailable(refused)).toBe(false);
    expect(isBrokerUnavailable(connection)).toBe(true);
    expect(isBrokerUnavailable(exhausted)).toBe(true);
  });
});

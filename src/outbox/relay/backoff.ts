export type BackoffPolicy = { baseDelayMs: number; maxDelayMs: number };

/**
 * Exponential backoff with "equal jitter": the n-th retry waits between half and all of
 * base * 2^(n-1) (capped). Jitter spreads retries of many events; keeping the lower half
 * fixed makes each wait at least as long as the previous one's upper bound, so delays grow.
 */
export function retryDelayMs(
  retryCount: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, retryCount - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 40));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

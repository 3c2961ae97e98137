import type { Logger } from '../../infra/logger.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

export type CircuitBreakerOptions = {
  /** Consecutive broker failures that open the circuit. */
  failureThreshold: number;
  /** First pause before a probe; doubled after each failed probe, up to maxOpenMs. */
  openMs: number;
  maxOpenMs: number;
};

export const defaultCircuitBreakerOptions: CircuitBreakerOptions = {
  failureThreshold: 1,
  openMs: 500,
  maxOpenMs: 10_000,
};

/**
 * Stops the relay from claiming while the broker is unreachable, so an outage spends no
 * event's retry budget. After a pause one batch is let through as the probe (half-open):
 * success closes the circuit, failure opens it again for longer.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #currentOpenMs: number;
  #listeners = new Set<(state: CircuitState) => void>();

  constructor(
    private readonly logger: Logger,
    private readonly options: CircuitBreakerOptions = defaultCircuitBreakerOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.#currentOpenMs = options.openMs;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** Whether a batch may be attempted now; moves open → half-open once the pause is over. */
  allowsAttempt(): boolean {
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.#currentOpenMs) {
      this.#transition('half-open', {});
    }
    return this.#state !== 'open';
  }

  /** Milliseconds until a probe is due (0 when attempts are allowed). */
  msUntilProbe(): number {
    if (this.#state !== 'open') return 0;
    return Math.max(0, this.#openedAt + this.#currentOpenMs - this.now());
  }

  recordSuccess(): void {
    this.#failures = 0;
    this.#currentOpenMs = this.options.openMs;
    if (this.#state !== 'closed') this.#transition('closed', {});
  }

  recordBrokerFailure(error: string): void {
    this.#failures += 1;
    if (this.#state === 'half-open') {
      this.#currentOpenMs = Math.min(this.options.maxOpenMs, this.#currentOpenMs * 2);
      this.#open(error);
    } else if (this.#state === 'closed' && this.#failures >= this.options.failureThreshold) {
      this.#open(error);
    }
  }

  onChange(listener: (state: CircuitState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #open(error: string): void {
    this.#openedAt = this.now();
    this.#transition('open', { error, retryInMs: this.#currentOpenMs });
  }

  #transition(state: CircuitState, fields: Record<string, unknown>): void {
    const from = this.#state;
    this.#state = state;
    this.logger.warn({ circuit: state, from, ...fields }, `relay circuit ${from} -> ${state}`);
    for (const listener of this.#listeners) listener(state);
  }
}

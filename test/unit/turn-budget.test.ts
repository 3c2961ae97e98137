import { setImmediate as nextCheckPhase } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { createTurnBudget } from '../../src/graphql/turn-budget.ts';

describe('a turn budget', () => {
  test('within the budget nothing waits; past it, everyone waits for the next turn, which starts afresh', async () => {
    let clock = 0;
    const budget = createTurnBudget(5, () => clock);
    expect(budget.spent()).toBeNull();
    clock = 4;
    expect(budget.spent()).toBeNull();
    clock = 5;
    const first = budget.spent();
    const second = budget.spent();
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBe(first);

    let settled = false;
    void first?.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await first;
    expect(settled).toBe(true);
    // A new turn: its budget counts from its own start.
    clock = 100;
    expect(budget.spent()).toBeNull();
    clock = 104;
    expect(budget.spent()).toBeNull();
  });

  test('a turn that ends within its budget leaves the next one its whole budget', async () => {
    let clock = 0;
    const budget = createTurnBudget(5, () => clock);
    expect(budget.spent()).toBeNull();
    clock = 4;
    await nextCheckPhase();
    await nextCheckPhase();
    clock = 8;
    expect(budget.spent()).toBeNull();
  });
});

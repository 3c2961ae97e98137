import { setImmediate as nextLoopIteration } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { createTurnBudget } from '../../src/outbox/feed/turn-budget.ts';

describe('turn budget', () => {
  test('is spent once a turn has run its time, and a new turn starts after the event loop had its own', async () => {
    let clock = 0;
    const budget = createTurnBudget({ budgetMs: 10, now: () => clock });
    expect(budget.spend()).toBe(false);
    clock = 9;
    expect(budget.spend()).toBe(false);
    clock = 10;
    expect(budget.spend()).toBe(true);

    let resumed = false;
    const waiting = budget.nextTurn().then(() => {
      resumed = true;
    });
    // Not within the same task: only once the event loop has gone round.
    await Promise.resolve();
    expect(resumed).toBe(false);
    await waiting;
    expect(resumed).toBe(true);
    clock = 25;
    expect(budget.spend()).toBe(false);
  });

  test('everyone over budget waits for the same turn and resumes in the order they came', async () => {
    let clock = 0;
    const budget = createTurnBudget({ budgetMs: 1, now: () => clock });
    budget.spend();
    clock = 5;
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => {
      expect(budget.spend()).toBe(true);
      return budget.nextTurn().then(() => order.push(n));
    });
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
  });

  test('a turn ends with its task even when nobody waited: time spent idle is not counted', async () => {
    let clock = 0;
    const budget = createTurnBudget({ budgetMs: 10, now: () => clock });
    expect(budget.spend()).toBe(false);
    await nextLoopIteration();
    clock = 1000;
    expect(budget.spend()).toBe(false);
  });
});

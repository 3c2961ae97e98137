/**
 * A long chain of awaited steps that never waits for I/O must still let the event loop turn:
 * that is what keeps the live feed from starving HTTP requests and database replies.
 */
import { expect, test } from 'vitest';
import { createEventLoopBudget } from '../../src/infra/event-loop-budget.ts';

/** Runs `steps` awaited steps; returns after how many of them a setImmediate callback first ran (-1: never). */
async function stepsBeforeTheLoopTurns(
  steps: number,
  spend: () => Promise<void> | undefined,
): Promise<number> {
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  let firstSeenAt = -1;
  for (let step = 1; step <= steps; step += 1) {
    await spend();
    if (turned && firstSeenAt < 0) firstSeenAt = step;
  }
  await new Promise((resolve) => setImmediate(resolve));
  return firstSeenAt;
}

test('without a budget, a chain of microtask steps keeps the loop until it ends', async () => {
  expect(await stepsBeforeTheLoopTurns(5000, async () => {})).toBe(-1);
});

test('with a budget, the loop turns after at most perTurn steps, and again after each further perTurn', async () => {
  const budget = createEventLoopBudget(100);
  expect(await stepsBeforeTheLoopTurns(5000, () => budget.spend())).toBe(100);
  expect(await stepsBeforeTheLoopTurns(5000, () => budget.spend())).toBeLessThanOrEqual(100);
});

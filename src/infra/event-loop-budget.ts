import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Lets a producer of many small asynchronous steps share the event loop fairly. Each `spend()`
 * counts one step; once `perTurn` steps ran since the loop last turned, callers wait for the next
 * turn (setImmediate runs after the loop's I/O phase), so sockets and database replies are served
 * in between.
 *
 * Why it is needed: a chain of awaits that never waits for I/O runs entirely in microtasks, and
 * the loop does not turn until it ends. Delivering the live feed to hundreds of subscribers is such
 * a chain; without a budget it kept the loop for seconds at a time, and createPet calls on the same
 * server timed out waiting for a database connection their own transactions held.
 */
export function createEventLoopBudget(perTurn: number): { spend(): Promise<void> | undefined } {
  let used = 0;
  let turn: Promise<void> | null = null;
  return {
    spend() {
      used += 1;
      if (used < perTurn) return undefined;
      turn ??= nextTurn().then(() => {
        used = 0;
        turn = null;
      });
      return turn;
    },
  };
}

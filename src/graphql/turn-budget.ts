/**
 * A time budget for one turn of the event loop, shared by everything that asks. Delivering a page
 * of events to hundreds of subscribers is one long chain of microtasks: nothing else runs until it
 * ends, so a mutation's next database answer, already in the socket, waits behind all of it. Past
 * the budget, `turnBudgetSpent` hands out a promise that settles in the loop's next check phase,
 * after pending I/O has had its turn; the deliveries then carry on where they stopped.
 */
export function createTurnBudget(budgetMs: number, now: () => number = () => performance.now()) {
  let turnStartedAt = 0;
  let inTurn = false;
  let nextTurn: Promise<void> | null = null;
  return {
    /** null while the current turn is within budget; else a promise for the next turn. */
    spent(): Promise<void> | null {
      const time = now();
      if (!inTurn) {
        inTurn = true;
        turnStartedAt = time;
        setImmediate(() => {
          inTurn = false;
          nextTurn = null;
        });
        return null;
      }
      if (time - turnStartedAt < budgetMs) return null;
      nextTurn ??= new Promise((resolve) => setImmediate(resolve));
      return nextTurn;
    },
  };
}

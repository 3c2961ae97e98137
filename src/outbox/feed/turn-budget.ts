/**
 * A share of the event loop for the feed's deliveries. Every subscriber with an event to pass runs
 * in promise reactions, which Node runs one after another until none is left: with 500 subscribers
 * and a page of events, that made one task of hundreds of milliseconds, during which no HTTP
 * request, database answer or timer got a turn (createPet took seconds under fan-out).
 *
 * `spend()` is called after each delivery: false while the current turn has time left, true once
 * it has run `budgetMs`; the caller then awaits `nextTurn()`, which resolves on a setImmediate,
 * after the event loop has polled for I/O. Every caller over budget waits for that same turn and
 * resumes in the order it arrived, so no subscriber is passed over. A turn ends with the task it
 * started in, whether or not anybody waited.
 */
export type TurnBudget = {
  /** Counts a delivery; true when the turn is over and the caller should await `nextTurn()`. */
  spend(): boolean;
  nextTurn(): Promise<void>;
};

export function createTurnBudget({
  budgetMs,
  now = () => performance.now(),
}: {
  /** How long deliveries may run before the event loop gets a turn. */
  budgetMs: number;
  now?: () => number;
}): TurnBudget {
  let turn: { startedAt: number; over: Promise<void> } | null = null;
  return {
    spend() {
      const at = now();
      if (!turn) {
        let end!: () => void;
        const over = new Promise<void>((resolve) => {
          end = resolve;
        });
        turn = { startedAt: at, over };
        setImmediate(() => {
          turn = null;
          end();
        });
      }
      return at - turn.startedAt >= budgetMs;
    },
    nextTurn() {
      return turn?.over ?? Promise.resolve();
    },
  };
}

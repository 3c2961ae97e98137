/**
 * Runs `work` once for any number of concurrent callers: while a run is in flight, callers share its
 * result. A flood of /ready calls then costs the database one check at a time, not one per call.
 */
export function singleFlight<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= work().finally(() => {
      running = null;
    });
    return running;
  };
}

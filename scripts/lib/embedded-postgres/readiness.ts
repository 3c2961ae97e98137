import { setTimeout as sleep } from 'node:timers/promises';
import { postgresProblem } from '../postgres-probe.ts';

/** Polls until the server at `url` answers a query. */
export async function waitUntilAnswers(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = await postgresProblem(url);
    if (problem === null) return;
    if (Date.now() > deadline) throw new Error(`embedded PostgreSQL does not answer: ${problem}`);
    await sleep(200);
  }
}

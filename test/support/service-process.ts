import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export type LogLine = { msg?: string; graphiql?: string; level?: number; [field: string]: unknown };

export type ServiceProcess = {
  child: ChildProcess;
  /** Its JSON log lines, parsed, as they arrive. */
  lines: LogLine[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  alive(): boolean;
  /** Resolves with the GraphQL URL once the server logged that it listens. */
  ready(timeoutMs?: number): Promise<string>;
};

/**
 * Runs the server (relay inside unless disabled) as a real process: `src/main.ts` through tsx, or
 * the production build's `dist/main.js` on plain node.
 */
export function startServiceProcess(
  env: Record<string, string>,
  entry: 'src/main.ts' | 'dist/main.js' = 'src/main.ts',
): ServiceProcess {
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child: ChildProcess = spawn(process.execPath, [...loader, entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ msg: part });
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // 'close', not 'exit': it comes after stdout is drained, so the last log lines are in `lines`.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    async ready(timeoutMs = 60_000) {
      const line = await waitFor(() => lines.find((candidate) => candidate.graphiql), {
        timeoutMs,
        what: `the server's ready log line (stderr: ${stderr})`,
      });
      return String(line.graphiql);
    },
  };
}

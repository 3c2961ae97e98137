import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/wait-for.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export type ServiceProcess = { child: ChildProcess; graphqlUrl: string; stop(): Promise<void> };

/** src/main.ts as a real process on a free port (PORT=0), ready once it logs its GraphiQL URL. */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let graphqlUrl: string | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    graphqlUrl ??= /"graphiql":"([^"]+)"/.exec(output)?.[1];
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      child.kill('SIGKILL');
    }
  };
  try {
    const url = await waitFor(() => graphqlUrl ?? (child.exitCode !== null ? 'exited' : undefined), {
      timeoutMs: 60_000,
      what: 'the service to log its GraphiQL URL',
    });
    if (url === 'exited') throw new Error(`the service exited (${child.exitCode}):\n${output}`);
    return { child, graphqlUrl: url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

import { execFile } from 'node:child_process';
import { promisify, stripVTControlCharacters } from 'node:util';

export const execFileAsync = promisify(execFile);

/** What a failed execFile printed (its stdout and stderr, without terminal colours), else its message. */
export function failureOutput(err: unknown): string {
  const e = err as { stdout?: string; stderr?: string; message: string };
  return stripVTControlCharacters(`${e.stdout ?? ''}${e.stderr ?? ''}`).trim() || e.message;
}

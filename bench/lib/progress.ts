export type Progress = {
  /** One line on stderr, prefixed with the time since the bench started. */
  say(line: string): void;
  /** A section heading. */
  step(title: string): void;
  elapsedSeconds(): number;
};

export function createProgress(
  write: (text: string) => void = (text) => process.stderr.write(text),
): Progress {
  const started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;
  const stamp = () => {
    const total = Math.floor(elapsedSeconds());
    return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
  };
  return {
    say: (line) => write(`[bench ${stamp()}] ${line}\n`),
    step: (title) => write(`\n[bench ${stamp()}] == ${title}\n`),
    elapsedSeconds,
  };
}

export const formatCount = (value: number) => Math.round(value).toLocaleString('en-US');

export const formatRate = (value: number) => `${formatCount(value)}/s`;

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'n/a';
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

import fs from 'node:fs';

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Lines written to `file` since byte offset `from` (the whole file if it was rotated meanwhile). */
export function linesSince(file: string, from: number): string[] {
  try {
    const text = fs.readFileSync(file);
    return text
      .subarray(from <= text.length ? from : 0)
      .toString('utf8')
      .trimEnd()
      .split('\n');
  } catch {
    return [];
  }
}

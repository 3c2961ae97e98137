import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export type StaticFile = { body: Buffer; contentType: string };

const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * The dashboard's files: a fixed list of URL paths mapped to files in public/, read once. Nothing
 * else on disk can be reached, whatever the request path says.
 */
export function createStaticFiles(
  routes: Record<string, string>,
  directory: string = PUBLIC_DIR,
): (path: string) => Promise<StaticFile | null> {
  const cache = new Map<string, Promise<StaticFile>>();
  return (path) => {
    const file = routes[path];
    if (!file) return Promise.resolve(null);
    let entry = cache.get(file);
    if (!entry) {
      const extension = file.split('.').pop() ?? '';
      entry = readFile(join(directory, file)).then((body) => ({
        body,
        contentType: contentTypes[extension] ?? 'application/octet-stream',
      }));
      // A failed read is not cached, so a file added later is found.
      entry.catch(() => cache.delete(file));
      cache.set(file, entry);
    }
    return entry;
  };
}

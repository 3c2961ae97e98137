import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GRAPHIQL_ASSETS_DIR, type GraphiQLManifest, readGraphiQLManifest } from './graphiql-manifest.ts';
import { PUBLIC_DIR } from './static-files.ts';

/** The URL path GraphiQL's files are served under. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

/** Their names carry a hash of their content: a new version is a new URL, so browsers keep them for good. */
const CACHE_FOREVER = 'public, max-age=31536000, immutable';

type Asset = { file: string; contentType: string; cacheControl: string; gzipped: boolean };

const contentTypes: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  ico: 'image/x-icon',
};

function assetsOf(manifest: GraphiQLManifest | null): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  // The start-up script is a few hundred bytes from public/: revalidated, so an edit shows at once.
  assets.set('boot.js', {
    file: join(PUBLIC_DIR, 'graphiql-boot.js'),
    contentType: contentTypes.js as string,
    cacheControl: 'no-cache',
    gzipped: false,
  });
  if (!manifest) return assets;
  const names = [manifest.script, manifest.stylesheet, manifest.favicon, ...Object.values(manifest.workers)];
  for (const name of names) {
    assets.set(name, {
      file: join(GRAPHIQL_ASSETS_DIR, name),
      contentType: contentTypes[name.split('.').pop() ?? ''] ?? 'application/octet-stream',
      cacheControl: CACHE_FOREVER,
      gzipped: true,
    });
  }
  return assets;
}

/**
 * GraphiQL's files, streamed from disk at each request (nothing is held in memory: the script alone
 * is 5 MB), gzipped when the client accepts it. Only the names in the manifest can be reached.
 * Returns false when `path` is not one of them.
 */
export function createGraphiQLAssets(): (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) => Promise<boolean> {
  let assets: Map<string, Asset> | null = null;
  return async (req, res, path) => {
    if (!path.startsWith(GRAPHIQL_ASSETS_PATH)) return false;
    // Until `npm run generate` has run there is no manifest; it is looked for again on the next request.
    assets ??= assetsOf(readGraphiQLManifest());
    const asset = assets.get(path.slice(GRAPHIQL_ASSETS_PATH.length));
    if (!asset) {
      if (assets.size === 1) assets = null;
      return false;
    }
    const gzip = asset.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const file = gzip ? `${asset.file}.gz` : asset.file;
    const { size } = await stat(file);
    res.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': size,
      'cache-control': asset.cacheControl,
      'x-content-type-options': 'nosniff',
      ...(asset.gzipped ? { vary: 'accept-encoding' } : {}),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    if (req.method === 'HEAD') res.end();
    // A client that goes away mid-file only ends this response; pipeline has closed both ends.
    else await pipeline(createReadStream(file), res).catch(() => {});
    return true;
  };
}

/**
 * Writes GraphiQL's browser files (script, stylesheet, editor workers, icon) out of the
 * @graphql-yoga/render-graphiql package into src/generated/graphiql/, each named after its content
 * so the server can let browsers cache them for good, and a gzipped copy of each. The package holds them as 9 MB of strings in
 * one module; importing that module costs some 80 MB of memory, so it happens here, in a process of
 * its own (scripts/lib/graphiql-assets.ts starts it), and never in the server.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as bundled from '@graphql-yoga/render-graphiql/graphiql';
import { GRAPHIQL_ASSETS_DIR, type GraphiQLManifest } from '../src/http/graphiql-manifest.ts';

const require = createRequire(import.meta.url);
const { version } = JSON.parse(
  readFileSync(join(dirname(require.resolve('@graphql-yoga/render-graphiql')), '..', 'package.json'), 'utf8'),
) as { version: string };

function write(name: string, extension: string, body: string | Buffer): string {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const file = `${name}.${hash}.${extension}`;
  writeFileSync(join(GRAPHIQL_ASSETS_DIR, file), body);
  // Compressed once here rather than per response: the script is 5 MB, 1.3 MB gzipped.
  writeFileSync(join(GRAPHIQL_ASSETS_DIR, `${file}.gz`), gzipSync(body, { level: 9 }));
  return file;
}

const favicon = /^data:image\/x-icon;base64,(.*)$/.exec(bundled.favicon)?.[1];
if (!favicon) throw new Error('@graphql-yoga/render-graphiql: its favicon is not a base64 .ico data URL');

rmSync(GRAPHIQL_ASSETS_DIR, { recursive: true, force: true });
mkdirSync(GRAPHIQL_ASSETS_DIR, { recursive: true });
const manifest: GraphiQLManifest = {
  renderGraphiqlVersion: version,
  script: write('graphiql', 'js', bundled.js),
  stylesheet: write('graphiql', 'css', bundled.css),
  favicon: write('favicon', 'ico', Buffer.from(favicon, 'base64')),
  workers: {
    editorWorkerService: write('editor.worker', 'js', bundled.editorWorkerService),
    json: write('json.worker', 'js', bundled.jsonWorker),
    graphql: write('graphql.worker', 'js', bundled.graphqlWorker),
  },
};
// Written last: a manifest on disk means every file it names is there.
writeFileSync(join(GRAPHIQL_ASSETS_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

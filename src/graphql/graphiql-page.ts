import type { GraphiQLOptions } from 'graphql-yoga';
import { GRAPHIQL_ASSETS_PATH } from '../http/graphiql-assets.ts';
import type { GraphiQLManifest } from '../http/graphiql-manifest.ts';

const htmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => htmlEscapes[char] ?? char);

/** JSON that cannot end the <script> element holding it, whatever its strings contain. */
const jsonForScriptElement = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * GraphiQL's page: a few hundred bytes naming its script, stylesheet and editor workers, all served
 * by this server (src/http/graphiql-assets.ts) and cached by the browser, so it works offline.
 * The options yoga passes (title, endpoint, subscription protocol, default query, headers...)
 * reach GraphiQL unchanged, as data rather than code: the page runs no inline script.
 */
export function renderGraphiQLPage(options: GraphiQLOptions, manifest: GraphiQLManifest | null): string {
  const title = escapeHtml(options.title || 'GraphiQL');
  if (!manifest) {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>
<p>GraphiQL's files are missing on this server: run <code>npm run generate</code> (or <code>npm run build</code>) and restart.</p>
</body></html>`;
  }
  const asset = (file: string) => `${GRAPHIQL_ASSETS_PATH}${file}`;
  const config = {
    options,
    workers: {
      editorWorkerService: asset(manifest.workers.editorWorkerService),
      json: asset(manifest.workers.json),
      graphql: asset(manifest.workers.graphql),
    },
  };
  const favicon = options.favicon ? escapeHtml(options.favicon) : asset(manifest.favicon);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${title}</title>
    <link rel="icon" href="${favicon}">
    <link rel="stylesheet" href="${asset(manifest.stylesheet)}">
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-config">${jsonForScriptElement(config)}</script>
    <script src="${GRAPHIQL_ASSETS_PATH}boot.js"></script>
    <script src="${asset(manifest.script)}"></script>
  </body>
</html>
`;
}

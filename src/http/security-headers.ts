import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

/** Headers every /graphql response carries: no sniffing, no framing, no referrer. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** JSON and event streams are data, never documents: nothing may load, run or frame them. */
const DATA_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * GraphiQL's page: its scripts come from this origin, and an inline one only by hash (no
 * 'unsafe-inline' for scripts, so an injected script does not run); its editor starts web workers
 * from this origin or blob: URLs and sets inline styles; it talks only to this origin (HTTP and WebSocket).
 */
export function graphiqlCsp(scriptHashes: readonly string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((hash) => ` '${hash}'`).join('')}`,
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** `sha256-…` sources for every inline `<script>` of an HTML page, as CSP computes them. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/gi)]
    .filter((match) => !/\ssrc\s*=/i.test(match[0].slice(0, match[0].indexOf('>'))))
    .map(
      (match) =>
        `sha256-${createHash('sha256')
          .update(match[1] ?? '', 'utf8')
          .digest('base64')}`,
    );
}

/** Sets the headers on every response yoga sends (GraphQL results, SSE streams, the GraphiQL page). */
export function securityHeadersPlugin(graphiqlScriptHashes: () => readonly string[]): Plugin {
  return {
    onResponse({ response }) {
      for (const [name, value] of Object.entries(COMMON_HEADERS)) response.headers.set(name, value);
      const html = response.headers.get('content-type')?.startsWith('text/html');
      response.headers.set('content-security-policy', html ? graphiqlCsp(graphiqlScriptHashes()) : DATA_CSP);
    },
  };
}

import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { OriginPolicy } from './origin-policy.ts';

/** Content types a cross-site HTML form (or a "simple" fetch) can send without a CORS preflight. */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

const refuse = (status: number, message: string) =>
  createGraphQLError(message, { extensions: { code: 'FORBIDDEN_REQUEST', http: { status } } });

/**
 * Cross-site request forgery prevention, stricter than yoga's CSRF plugin:
 * - a request whose Origin is neither this server's nor listed in CORS_ORIGINS is refused outright;
 * - a POST must carry a JSON (or GraphQL) body: form and text/plain bodies are refused even with a
 *   custom header, so no HTML form can ever run a mutation;
 * - a GET (queries and SSE subscriptions only: yoga never runs mutations over GET) needs the
 *   `x-graphql-yoga-csrf` header, unless the browser says it comes from this very origin
 *   (`Sec-Fetch-Site`), which is how the dashboard's EventSource, unable to set headers, gets in.
 */
export function csrfPreventionPlugin(origins: OriginPolicy): Plugin {
  return {
    onRequestParse({ request }) {
      if (!origins.allows(request.headers.get('origin'), request.headers.get('host'))) {
        throw refuse(403, 'This origin may not call the API (see CORS_ORIGINS).');
      }
      const method = request.method.toUpperCase();
      if (method === 'POST') {
        const contentType = request.headers.get('content-type')?.trim().toLowerCase() ?? '';
        if (!contentType || SIMPLE_CONTENT_TYPES.some((simple) => contentType.startsWith(simple))) {
          throw refuse(415, 'POST bodies must be application/json (form and text bodies are refused).');
        }
        return;
      }
      if (request.headers.has(CSRF_HEADER)) return;
      const site = request.headers.get('sec-fetch-site');
      if (site === 'same-origin' || site === 'none') return;
      throw refuse(403, `GET requests need the "${CSRF_HEADER}" header (or use POST with a JSON body).`);
    },
  };
}

/**
 * Which browser origins may talk to the API: the page's own origin (the dashboard and GraphiQL served
 * here) and those listed in CORS_ORIGINS. One rule for HTTP (CORS, CSRF) and for WebSocket upgrades,
 * which browsers send cross-site without any preflight.
 */
export type OriginPolicy = {
  /** True for no Origin (not a browser, or a same-origin GET), this server's own origin, or a listed one. */
  allows(origin: string | null | undefined, host: string | null | undefined): boolean;
  /** Whether CORS headers may name `origin` (listed origins only; same-origin needs none). */
  listed(origin: string | null | undefined): boolean;
};

export function createOriginPolicy(allowedOrigins: readonly string[]): OriginPolicy {
  const listed = new Set(allowedOrigins);
  return {
    allows(origin, host) {
      if (origin == null) return true;
      if (listed.has(origin)) return true;
      // Same origin: the page was served by this host. The scheme is not compared, because TLS is
      // usually terminated in front of the service (the browser says https, the server sees http).
      if (!host || !URL.canParse(origin)) return false;
      return new URL(origin).host === host.toLowerCase();
    },
    listed: (origin) => origin != null && listed.has(origin),
  };
}

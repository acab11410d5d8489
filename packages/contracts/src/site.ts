/**
 * The site (the workbench page) and its one origin: which paths CloudFront forwards to the API (every other path
 * is the site's bucket), the headers it adds to every answer, how long each kind of file may be cached, and the
 * runtime config the page reads. Infra builds the distribution from these, the local stack's front door serves
 * by them, and the delivery script publishes by them.
 */
// Types only from the route table: the browser bundle imports this file and must not carry zod.
import { OPENAPI_PATH } from "./paths";
import type { RouteDefinition } from "./routes";

/** The page every visit starts from (CloudFront's default root object). Never cached: it names the assets. */
export const SITE_ENTRY = "index.html";
/** The API docs page (Swagger UI over OPENAPI_PATH), a page of the site. */
export const SITE_DOCS_PAGE = "docs.html";
/** Content-hashed files: `assets/<name>-<hash>.<ext>`, cached for a year and never changed in place. */
export const SITE_ASSETS_PREFIX = "assets/";
/** The page's runtime config, written per environment at deploy (SiteConfig). */
export const SITE_CONFIG_PATH = "/config.json";

/** What the page reads from SITE_CONFIG_PATH. */
export interface SiteConfig {
  /** The app client the page signs in with (authorization code + PKCE, no secret). */
  readonly clientId: string;
  /** The OAuth base URL: `<authority>/oauth2/authorize`, `/oauth2/token`, `/logout` (Cognito's domain, or the local issuer). */
  readonly authority: string;
  readonly environment: string;
}

/**
 * CloudFront path patterns of the API: each route's first path segment, exact and with `/*` under it when the
 * table has deeper paths (`/users`, `/users/*`). Everything else goes to the site.
 */
export function apiPathPatterns(routes: readonly Pick<RouteDefinition, "path">[]): string[] {
  const patterns = new Set<string>();
  for (const route of routes) {
    const first = `/${route.path.split("/")[1] ?? ""}`;
    patterns.add(first);
    if (route.path !== first) patterns.add(`${first}/*`);
  }
  return [...patterns].sort();
}

/**
 * CloudFront's path pattern match (case-sensitive; `*` any run of characters including `/`, `?` one character),
 * CloudFront developer guide, "Cache behavior settings: Path pattern".
 */
export function matchesPathPattern(pattern: string, path: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return regex.test(path);
}

export const isApiPath = (path: string, routes: readonly Pick<RouteDefinition, "path">[]): boolean =>
  apiPathPatterns(routes).some((pattern) => matchesPathPattern(pattern, path));

/** How long browsers and CloudFront may keep a site file. */
export function siteCacheControl(path: string): string {
  return path.startsWith(`/${SITE_ASSETS_PREFIX}`) ? "public, max-age=31536000, immutable" : "no-cache";
}

/**
 * The page's Content-Security-Policy: its own origin, plus the origins it calls with fetch/XHR (`connectOrigins`:
 * the sign-in's token endpoint, the batch bucket the presigned URLs point at). Swagger UI sets inline styles; no
 * inline script anywhere.
 */
export function siteContentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  const extra = connectOrigins.length > 0 ? ` ${connectOrigins.join(" ")}` : "";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self'${extra}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join("; ");
}

/** Strict-Transport-Security: two years, subdomains (hstspreload.org's minimum is one year). */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

/** The headers the distribution's response headers policy adds (the local front door adds the same). */
export function siteSecurityHeaders(
  connectOrigins: readonly string[] = [],
): Readonly<Record<string, string>> {
  return Object.freeze({
    "content-security-policy": siteContentSecurityPolicy(connectOrigins),
    "strict-transport-security": `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
  });
}

/** The OpenAPI document the docs page loads. */
export const SITE_OPENAPI_URL = OPENAPI_PATH;

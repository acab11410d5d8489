/**
 * The HTTP API's route table: the one source of truth for API Gateway routes (infra), request dispatch
 * (handlers) and the local HTTP server (scripts). Paths use API Gateway's `{param}` syntax.
 */
import type { HttpFunctionName } from "./functions";

export type HttpMethod = "GET" | "POST";

/** Which Lambda function serves a route: a function of the registry that API Gateway invokes. */
export type RouteTarget = HttpFunctionName;

export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly target: RouteTarget;
  /** `false` keeps the route open when the environment switches a JWT authorizer on (health checks). */
  readonly authorized: boolean;
}

export const ROUTES = [
  { method: "GET", path: "/health", target: "api", authorized: false },
  { method: "GET", path: "/users", target: "api", authorized: true },
  { method: "GET", path: "/users/{id}", target: "api", authorized: true },
  { method: "POST", path: "/users", target: "api", authorized: true },
  { method: "POST", path: "/predict", target: "prediction", authorized: true },
  // The models the prediction image carries (champion first-class, challengers by name@version).
  { method: "GET", path: "/models", target: "prediction", authorized: true },
  // Batch predictions (packages/contracts/src/batches.ts holds their bodies): a file in, a file out.
  { method: "POST", path: "/batches", target: "batches", authorized: true },
  { method: "GET", path: "/batches/{id}", target: "batches", authorized: true },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof ROUTES)[number];

/**
 * `METHOD /path` of the routes that exist, optionally only those of one function (`RouteKey` below admits every
 * method/path pairing). Distributes over the union, so only the real pairs are keys.
 */
export type DefinedRouteKey<T extends RouteTarget = RouteTarget> =
  Extract<Route, { target: T }> extends infer R
    ? R extends { readonly method: infer M extends string; readonly path: infer P extends string }
      ? `${M} ${P}`
      : never
    : never;
export type RouteKey = `${Route["method"]} ${Route["path"]}`;

/** API Gateway's route key, e.g. `GET /users/{id}`. */
export function routeKey(route: Pick<RouteDefinition, "method" | "path">): RouteKey {
  return `${route.method} ${route.path}` as RouteKey;
}

export type RouteMatch =
  | { readonly kind: "found"; readonly route: Route; readonly pathParameters: Record<string, string> }
  | { readonly kind: "method-not-allowed"; readonly allowedMethods: readonly HttpMethod[] }
  | { readonly kind: "not-found" };

/** Malformed percent-encoding matches nothing (API Gateway answers 404), rather than throwing. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment) || undefined;
  } catch {
    return undefined;
  }
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const templateParts = template.split("/");
  const pathParts = path.split("/");
  if (templateParts.length !== pathParts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < templateParts.length; i++) {
    const expected = templateParts[i] as string;
    const actual = pathParts[i] as string;
    if (expected.startsWith("{") && expected.endsWith("}")) {
      const decoded = safeDecode(actual);
      if (!decoded) return undefined;
      params[expected.slice(1, -1)] = decoded;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

/** Resolves a request the way API Gateway does; 405 for a known path with another method. */
export function matchRoute(method: string, path: string, routes: readonly Route[] = ROUTES): RouteMatch {
  const normalized = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const allowedMethods: HttpMethod[] = [];
  for (const route of routes) {
    const pathParameters = matchPath(route.path, normalized);
    if (!pathParameters) continue;
    if (route.method === method.toUpperCase()) return { kind: "found", route, pathParameters };
    allowedMethods.push(route.method);
  }
  return allowedMethods.length > 0 ? { kind: "method-not-allowed", allowedMethods } : { kind: "not-found" };
}

/**
 * API Gateway's catch-all route and the function behind it. Requests that match no route of the table (an unknown
 * path, or a known path with another method) go there, and that function answers them 404 or 405 in the API's
 * error format; it never serves a table route for a `$default` event, which has no authorizer.
 */
export const DEFAULT_ROUTE = { routeKey: "$default", target: "api" } as const satisfies {
  readonly routeKey: string;
  readonly target: RouteTarget;
};

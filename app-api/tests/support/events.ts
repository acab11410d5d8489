import { DEFAULT_ROUTE, matchRoute, routeKey } from "@sml/contracts/routes";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

export interface RequestSpec {
  readonly method: string;
  /** Path with an optional query string, e.g. `/users?limit=5`. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** Sets API Gateway's parsed parameters instead of deriving them from the path (repeated keys, odd values). */
  readonly queryStringParameters?: Record<string, string>;
  /** Sets the route API Gateway matched instead of deriving it from the route table (see `gatewayRouteKey`). */
  readonly routeKey?: string;
  /**
   * The claims API Gateway's JWT authorizer passes on (strings, groups as `[a b]`): an admin's by default, since
   * the users routes are the admins group's; `null` for an event without an authorizer.
   */
  readonly claims?: Record<string, string> | null;
}

/** A signed-in admin's claims, as API Gateway passes them. */
export const ADMIN_CLAIMS = Object.freeze({ sub: "admin-sub", "cognito:groups": "[admins]" });
/** A signed-in analyst's claims (not an admin). */
export const ANALYST_CLAIMS = Object.freeze({ sub: "analyst-sub", "cognito:groups": "[analysts]" });

/**
 * The route key API Gateway puts in the event: the table's route the request matches, else `$default` (the
 * catch-all route the infrastructure adds for unknown paths and wrong methods).
 */
export function gatewayRouteKey(method: string, path: string): string {
  const match = matchRoute(method, path);
  return match.kind === "found" ? routeKey(match.route) : DEFAULT_ROUTE.routeKey;
}

/** An API Gateway HTTP API (payload v2) event as the $default stage sends it. */
export function httpEvent(spec: RequestSpec): APIGatewayProxyEventV2 {
  const [rawPath = "/", rawQueryString = ""] = spec.path.split(/\?(.*)/s);
  let queryStringParameters = spec.queryStringParameters;
  if (!queryStringParameters && rawQueryString) {
    // As JSON.parse of API Gateway's event gives it: every key an own property, `__proto__` included.
    const params = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(rawQueryString)) {
      const previous = params.get(k);
      params.set(k, previous === undefined ? v : `${previous},${v}`);
    }
    queryStringParameters = Object.fromEntries(params);
  }
  const matchedRouteKey = spec.routeKey ?? gatewayRouteKey(spec.method, rawPath);
  // API Gateway hands the matched route's parameters over, decoded, in `pathParameters`.
  const match = matchRoute(spec.method, rawPath);
  const pathParameters =
    match.kind === "found" && Object.keys(match.pathParameters).length > 0 ? match.pathParameters : undefined;
  return {
    version: "2.0",
    routeKey: matchedRouteKey,
    rawPath,
    rawQueryString,
    headers: { host: "api.test", ...(spec.headers ?? {}) },
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.test",
      domainPrefix: "api",
      http: {
        method: spec.method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.1",
        userAgent: "jest",
      },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: matchedRouteKey,
      ...(spec.claims === null
        ? {}
        : { authorizer: { jwt: { claims: spec.claims ?? ADMIN_CLAIMS, scopes: [] } } }),
      stage: "$default",
      time: "23/Nov/2026:00:00:00 +0000",
      timeEpoch: 1_795_000_000_000,
    },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    isBase64Encoded: spec.isBase64Encoded ?? false,
  };
}

export const json = { "content-type": "application/json" };

export const postUser = (body: unknown, headers: Record<string, string> = json): APIGatewayProxyEventV2 =>
  httpEvent({
    method: "POST",
    path: "/users",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

import { readFileSync } from "node:fs";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

/** An API Gateway HTTP API (payload v2) event, as the prediction route receives it. */
export function apiEvent(
  body: unknown,
  options: { method?: string; path?: string; headers?: Record<string, string>; rawBody?: string } = {},
): APIGatewayProxyEventV2 {
  const method = options.method ?? "POST";
  const path = options.path ?? "/predict";
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: options.headers ?? { "content-type": "application/json" },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.1", userAgent: "jest" },
      requestId: "request",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "13/Jan/2001:14:56:00 +0000",
      timeEpoch: 979397760000,
    },
    body: options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    isBase64Encoded: false,
  };
}

/** The registry folder the image carries (models.json + one folder per model). */
export const workspaceRegistryDir = `${__dirname}/../../model`;

/** The champion's own folder, named in models.json. */
export const workspaceModelDir = `${workspaceRegistryDir}/${JSON.parse(readFileSync(`${workspaceRegistryDir}/models.json`, "utf8")).champion}`;

/** Test callers: the `sub` (and groups) API Gateway's JWT authorizer would pass on. */
export const ANALYST = { sub: "5f2b7c1e-0a4d-4c6e-9b8f-1d2e3f4a5b6c", groups: ["analysts"] } as const;

/**
 * The event as API Gateway passes it after its JWT authorizer verified the token: the claims under
 * `requestContext.authorizer.jwt`, an array claim flattened to `[a b]` as HTTP APIs do (see @sml/contracts/auth).
 * An event that already has claims keeps them.
 */
export function withClaims(
  event: APIGatewayProxyEventV2,
  caller: { readonly sub: string; readonly groups?: readonly string[]; readonly email?: string } = ANALYST,
): APIGatewayProxyEventV2 {
  const context = event.requestContext as { authorizer?: unknown };
  if (context.authorizer) return event;
  const claims: Record<string, string> = { sub: caller.sub, token_use: "access" };
  if (caller.groups?.length) claims["cognito:groups"] = `[${caller.groups.join(" ")}]`;
  if (caller.email) claims.email = caller.email;
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      authorizer: { jwt: { claims, scopes: [] } },
    } as APIGatewayProxyEventV2["requestContext"],
  };
}

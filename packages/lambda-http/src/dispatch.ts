/**
 * The one API Gateway (HTTP API, payload v2) dispatcher. API Gateway already resolved the route: the event's
 * `routeKey` names it and `pathParameters` hold its parameters, so a table route is served by key. Only the
 * catch-all `$default` route (or a key outside the table, or a direct invocation without one) looks at the path,
 * to answer 404 or 405 with `Allow`; `$default` has no authorizer, so its events never reach a route's handler.
 */
import { ForbiddenError } from "@sml/contracts/errors";
import {
  DEFAULT_ROUTE,
  type DefinedRouteKey,
  matchRoute,
  ROUTES,
  type RouteDefinition,
  type RouteTarget,
} from "@sml/contracts/routes";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { callerOf } from "./caller";
import { MethodNotAllowedError, RouteNotFoundError } from "./errors";
import type { HttpResponse } from "./responses";

/** The route keys of one function, e.g. `"GET /users/{id}"` for `api` (only real method/path pairs). */
export type RouteKeyOf<T extends RouteTarget> = DefinedRouteKey<T>;

export interface RouteRequest {
  readonly event: APIGatewayProxyEventV2;
  readonly pathParameters: Readonly<Record<string, string>>;
}

export type RouteHandlers<T extends RouteTarget> = Record<
  RouteKeyOf<T>,
  (request: RouteRequest) => Promise<HttpResponse>
>;

/** Longest part of a client-supplied path echoed back in an error message. */
export const ECHO_MAX = 100;
const echo = (s: string): string => JSON.stringify(s.length > ECHO_MAX ? `${s.slice(0, ECHO_MAX)}...` : s);

/** A named stage puts its name in front of the path; the default stage does not. */
export function requestPath(event: APIGatewayProxyEventV2): string {
  const path = event.rawPath ?? event.requestContext?.http?.path ?? "/";
  const stage = event.requestContext?.stage;
  if (stage && stage !== "$default" && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
    return path.slice(stage.length + 1) || "/";
  }
  return path;
}

export const requestMethod = (event: APIGatewayProxyEventV2): string =>
  (event.requestContext?.http?.method ?? "").toUpperCase();

/**
 * A route the table reserves for a group (the users directory: `admins`) refuses every other caller here, before
 * its handler runs: 401 without a caller, 403 outside the group. One check for every such route, so a new admin
 * route needs only its table entry.
 */
export function checkRouteGroup(
  route: Pick<RouteDefinition, "method" | "path" | "group">,
  event: APIGatewayProxyEventV2,
): void {
  if (route.group === undefined) return;
  const caller = callerOf(event);
  if (!caller.groups.includes(route.group))
    throw new ForbiddenError(
      `${route.method} ${route.path} is for the ${route.group} group only (it reads or changes other people's data); ask an admin to add you to ${route.group} if you need it`,
    );
}

/** Routes `event` to the handler of `target` that API Gateway matched, or throws the 404/405 error. */
export function dispatch<T extends RouteTarget>(
  target: T,
  handlers: RouteHandlers<T>,
  event: APIGatewayProxyEventV2,
): Promise<HttpResponse> {
  const method = requestMethod(event);
  const path = requestPath(event);
  const key = event.routeKey ?? event.requestContext?.routeKey;
  const route =
    key === DEFAULT_ROUTE.routeKey ? undefined : ROUTES.find((r) => `${r.method} ${r.path}` === key);
  if (route) {
    // Another function's route (POST /predict reaching the api function) is not one this function serves.
    if (route.target !== target) throw new RouteNotFoundError(`No route for ${method} ${echo(path)}`);
    checkRouteGroup(route, event);
    return handlers[key as RouteKeyOf<T>]({
      event,
      pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
    });
  }
  // The whole table, so that a method of another function's route counts for 405 (GET /predict: Allow: POST).
  const match = matchRoute(method, path, ROUTES);
  if (match.kind === "method-not-allowed") {
    throw new MethodNotAllowedError(
      `${method} is not allowed on ${echo(path)}; allowed: ${match.allowedMethods.join(", ")}`,
      match.allowedMethods,
    );
  }
  // A direct invocation (no route key) of a table route is served; `$default` never is (no authorizer).
  if (key === undefined && match.kind === "found" && match.route.target === target) {
    checkRouteGroup(match.route, event);
    return handlers[`${match.route.method} ${match.route.path}` as RouteKeyOf<T>]({
      event,
      pathParameters: match.pathParameters,
    });
  }
  throw new RouteNotFoundError(`No route for ${method} ${echo(path)}`);
}

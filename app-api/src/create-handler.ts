/**
 * The HTTP layer of the users API: resolves the route from the shared route table, parses and validates the
 * request, calls a use case and maps every error to the API's JSON error body. It builds nothing itself: the
 * composition root (handlers/http.ts), the local stack and the tests pass the repository and the publisher in.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  type HttpResponse,
  jsonResponse,
  MethodNotAllowedError,
  NotFoundError,
  parseWith,
  readJsonBody,
  toHttpResponse,
} from "@sml/common/http";
import { DEFAULT_ROUTE, matchRoute, ROUTES, type Route, type RouteMatch } from "@sml/common/routes";
import { NEW_USER_MAX_BODY_BYTES } from "@sml/common/users";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { HttpError } from "./core/errors";
import type { UserPublisher, UserRepository } from "./core/ports";
import { ListUsersQuerySchema, NewUserSchema } from "./core/schemas";
import { createUseCases } from "./core/use-cases";

export const SERVICE_NAME = "users-api";
export const METRICS_NAMESPACE = "ServerlessMlApi";
export const DEFAULT_HEALTH_TIMEOUT_MS = 2000;

export interface HandlerDeps {
  readonly repository: UserRepository;
  readonly publisher: UserPublisher;
  /** Defaults to a Powertools Logger for the `users-api` service (level from POWERTOOLS_LOG_LEVEL). */
  readonly logger?: Logger;
  /** Defaults to Powertools Metrics (EMF on stdout); POWERTOOLS_METRICS_DISABLED=true turns them off. */
  readonly metrics?: Metrics;
  readonly healthTimeoutMs?: number;
}

export type HttpHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

type ApiRoute = Extract<Route, { target: "api" }>;
// Distributes over the union, so only the real method/path pairs are keys (not every combination).
type ApiRouteKey = ApiRoute extends infer R
  ? R extends { method: infer M extends string; path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;

const isApiRoute = (route: Route): route is ApiRoute => route.target === "api";

interface RouteRequest {
  readonly event: APIGatewayProxyEventV2;
  readonly pathParameters: Record<string, string>;
}

/** Longest part of a client-supplied path echoed back in an error message. */
const ECHO_MAX = 100;
const echo = (s: string): string => JSON.stringify(s.length > ECHO_MAX ? `${s.slice(0, ECHO_MAX)}...` : s);

/** A named stage puts its name in front of the path; the default stage does not. */
function requestPath(event: APIGatewayProxyEventV2): string {
  const path = event.rawPath ?? event.requestContext?.http?.path ?? "/";
  const stage = event.requestContext?.stage;
  if (stage && stage !== "$default" && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
    return path.slice(stage.length + 1) || "/";
  }
  return path;
}

/** API Gateway joins repeated parameters with commas; a direct invocation may carry only the raw string. */
function queryParameters(event: APIGatewayProxyEventV2): Record<string, string | undefined> {
  if (event.queryStringParameters) return event.queryStringParameters;
  // A Map, then Object.fromEntries: `params.__proto__ = v` on a plain object would set its prototype, and the
  // parameter would slip past the strict schema instead of being a 400 like every other unknown one.
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? "")) {
    const previous = params.get(key);
    params.set(key, previous === undefined ? value : `${previous},${value}`);
  }
  return Object.fromEntries(params);
}

/** Builds the API Gateway HTTP API (payload v2) handler around the given ports. */
export function createHandler(deps: HandlerDeps): HttpHandler {
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME });
  const metrics = deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const useCases = createUseCases({
    repository: deps.repository,
    publisher: deps.publisher,
    healthTimeoutMs: deps.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
  });

  const routes: Record<ApiRouteKey, (req: RouteRequest) => Promise<HttpResponse>> = {
    "GET /health": async () => {
      await useCases.checkHealth();
      return jsonResponse(200, { status: "ok" });
    },
    "GET /users": async ({ event }) => {
      const query = parseWith(ListUsersQuerySchema, queryParameters(event), "query string");
      return jsonResponse(200, await useCases.listUsers(query));
    },
    "GET /users/{id}": async ({ pathParameters }) =>
      jsonResponse(200, await useCases.getUser(pathParameters.id ?? "")),
    "POST /users": async ({ event }) => {
      const user = parseWith(NewUserSchema, readJsonBody(event, NEW_USER_MAX_BODY_BYTES));
      const accepted = await useCases.submitUser(user);
      metrics.addMetric("UsersAccepted", MetricUnit.Count, 1);
      logger.info("user accepted", { messageId: accepted.messageId });
      return jsonResponse(202, accepted);
    },
  };

  async function dispatch(
    event: APIGatewayProxyEventV2,
    method: string,
    path: string,
  ): Promise<HttpResponse> {
    // The whole table, so that a method of another function's route counts for 405 (GET /predict: Allow: POST).
    const match: RouteMatch = matchRoute(method, path, ROUTES);
    if (match.kind === "method-not-allowed") {
      throw new MethodNotAllowedError(
        `${method} is not allowed on ${echo(path)}; allowed: ${match.allowedMethods.join(", ")}`,
        match.allowedMethods,
      );
    }
    // The `$default` route has no authorizer, so its events only ever get an error: a request API Gateway did
    // not route (say `get` or a trailing slash it does not match) must not reach a handler unauthenticated.
    // Another function's route (POST /predict) reaching this function is not one it serves.
    const routeKeyOfEvent = event.routeKey ?? event.requestContext?.routeKey;
    if (match.kind === "not-found" || routeKeyOfEvent === DEFAULT_ROUTE.routeKey || !isApiRoute(match.route))
      throw new NotFoundError(`No route for ${method} ${echo(path)}`);
    const key = `${match.route.method} ${match.route.path}` as ApiRouteKey;
    return routes[key]({ event, pathParameters: match.pathParameters });
  }

  return async function handler(event, context) {
    if (context) logger.addContext(context);
    metrics.captureColdStartMetric();
    logger.appendKeys({ apiRequestId: event.requestContext?.requestId });
    const method = (event.requestContext?.http?.method ?? "").toUpperCase();
    const path = requestPath(event);
    let response: HttpResponse;
    try {
      response = await dispatch(event, method, path);
    } catch (err) {
      response = toHttpResponse(err, (unexpected) =>
        unexpected instanceof Error
          ? logger.error("unexpected error", unexpected)
          : logger.error("unexpected error", { error: String(unexpected) }),
      );
      // Dependency failures (503) are HttpErrors, so toHttpResponse does not log them; their cause matters.
      if (err instanceof HttpError && err.statusCode >= 500) logger.warn(err.message, err);
    }
    if (response.statusCode >= 500) metrics.addMetric("ServerErrors", MetricUnit.Count, 1);
    else if (response.statusCode >= 400) metrics.addMetric("ClientErrors", MetricUnit.Count, 1);
    logger.info("request", { method, path: path.slice(0, ECHO_MAX), statusCode: response.statusCode });
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    return response;
  };
}

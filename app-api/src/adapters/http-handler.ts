/**
 * The HTTP layer of the users API: the route API Gateway matched picks the handler (@sml/lambda-http's
 * dispatcher), which parses and validates the request and calls a use case; every error is mapped to the API's
 * JSON error body by the edge's one table. It builds nothing itself: the
 * composition root (handlers/http.ts), the local stack and the tests pass the repository and the publisher in.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { DependencyUnavailableError } from "@sml/contracts/errors";
import { FUNCTIONS, METRICS_NAMESPACE } from "@sml/contracts/functions";
import { NEW_USER_MAX_BODY_BYTES } from "@sml/contracts/users";
import {
  dispatch,
  ECHO_MAX,
  type HttpResponse,
  jsonResponse,
  openApiDocument,
  parseWith,
  queryParameters,
  type RouteHandlers,
  readJsonBody,
  requestMethod,
  requestPath,
  toHttpResponse,
} from "@sml/lambda-http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { UserPublisher, UserReader } from "../core/ports";
import { ListUsersQuerySchema, NewUserSchema } from "../core/schemas";
import { createUseCases } from "../core/use-cases";

const SERVICE_NAME = FUNCTIONS.api.serviceName;
export const DEFAULT_HEALTH_TIMEOUT_MS = 2000;

export interface HandlerDeps {
  readonly repository: UserReader;
  readonly publisher: UserPublisher;
  /** Defaults to a Powertools Logger for the `users-api` service (level from POWERTOOLS_LOG_LEVEL). */
  readonly logger?: Logger;
  /** Defaults to Powertools Metrics (EMF on stdout); POWERTOOLS_METRICS_DISABLED=true turns them off. */
  readonly metrics?: Metrics;
  readonly healthTimeoutMs?: number;
  /** Serve the docs page at /docs (API_DOCS_PAGE; default off). */
  readonly docsPage?: boolean;
}

export type HttpHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

/** Builds the API Gateway HTTP API (payload v2) handler around the given ports. */
export function createHandler(deps: HandlerDeps): HttpHandler {
  const logger = deps.logger ?? new Logger({ serviceName: SERVICE_NAME });
  const metrics = deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const useCases = createUseCases({
    repository: deps.repository,
    publisher: deps.publisher,
    healthTimeoutMs: deps.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
  });

  // Built on the first request for it, once per instance (the route table does not change while it runs).
  let openApi: string | undefined;

  const routes: RouteHandlers<"api"> = {
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
    "DELETE /users/{id}": async ({ pathParameters }) => {
      const accepted = await useCases.deleteUser(pathParameters.id ?? "");
      metrics.addMetric("UserDeletionsAccepted", MetricUnit.Count, 1);
      logger.info("user deletion accepted", { messageId: accepted.messageId });
      return jsonResponse(202, accepted);
    },
    "GET /openapi.json": async () => {
      openApi ??= JSON.stringify(openApiDocument());
      return { statusCode: 200, headers: { "content-type": "application/json" }, body: openApi };
    },
  };

  return async function handler(event, context) {
    if (context) logger.addContext(context);
    metrics.captureColdStartMetric();
    logger.appendKeys({ apiRequestId: event.requestContext?.requestId });
    const method = requestMethod(event);
    const path = requestPath(event);
    let response: HttpResponse;
    try {
      response = await dispatch("api", routes, event);
    } catch (err) {
      response = toHttpResponse(err, (unexpected) =>
        unexpected instanceof Error
          ? logger.error("unexpected error", unexpected)
          : logger.error("unexpected error", { error: String(unexpected) }),
      );
      // Dependency failures (503) are known errors, so toHttpResponse does not log them; their cause matters.
      if (err instanceof DependencyUnavailableError) logger.warn(err.message, err);
    }
    if (response.statusCode >= 500) metrics.addMetric("ServerErrors", MetricUnit.Count, 1);
    else if (response.statusCode >= 400) metrics.addMetric("ClientErrors", MetricUnit.Count, 1);
    logger.info("request", { method, path: path.slice(0, ECHO_MAX), statusCode: response.statusCode });
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    return response;
  };
}

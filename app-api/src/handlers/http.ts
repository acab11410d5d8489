/**
 * Lambda entry point of the HTTP API (API Gateway HTTP API, payload v2). Config is parsed at init, so a missing
 * variable (TOPIC_ARN, or the database ones) throws here, naming it, rather than on the first request.
 */
import { dbConfigFromEnv } from "@sml/database";
import { createApiFunction } from "../api-function";
import { loadConfig } from "../config";

export { createHandler, type HandlerDeps, type HttpHandler } from "../adapters/http-handler";

export const handler = createApiFunction(loadConfig(), dbConfigFromEnv());

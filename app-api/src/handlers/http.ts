/**
 * Lambda entry point of the HTTP API (API Gateway HTTP API, payload v2) and its composition root: config,
 * the database adapter and the SNS publisher are built once per instance at cold start; every invocation
 * reuses them. A missing variable (TOPIC_ARN, or the database ones) throws here, during init, naming it.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDatabase, dbConfigFromEnv } from "@sml/users-db";
import { SnsUserPublisher } from "../adapters/sns-user-publisher";
import { loadConfig } from "../config";
import { createHandler } from "../adapters/http-handler";

export { createHandler, type HandlerDeps, type HttpHandler } from "../adapters/http-handler";

const config = loadConfig();
const database = createDatabase(dbConfigFromEnv());

export const handler = createHandler({
  repository: database.users,
  publisher: new SnsUserPublisher({ topicArn: config.topicArn }),
  healthTimeoutMs: config.healthTimeoutMs,
  logger: new Logger({ serviceName: config.serviceName }),
  metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
});

/**
 * The API function's composition root: from its typed config it builds the database adapter, the SNS publisher,
 * the logger and the metrics, once per instance, and returns the handler. The Lambda entry (handlers/http.ts)
 * calls it with the config parsed from the environment; the local stack calls it with the same parsing over the
 * environment it gives the function.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDatabase, type DatabaseConfig } from "@sml/database";
import { createHandler, type HttpHandler } from "./adapters/http-handler";
import { SnsUserPublisher } from "./adapters/sns-user-publisher";
import type { ApiConfig } from "./config";

export function createApiFunction(config: ApiConfig, db: DatabaseConfig): HttpHandler {
  const database = createDatabase(db);
  return createHandler({
    repository: database.users,
    publisher: new SnsUserPublisher({ topicArn: config.topicArn }),
    healthTimeoutMs: config.healthTimeoutMs,
    logger: new Logger({ serviceName: config.serviceName }),
    metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
  });
}

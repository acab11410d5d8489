/**
 * The subscriber's composition root: from its typed config it builds the logger, the metrics and the database
 * once per instance and returns the SQS handler. Called by the Lambda entry (handlers/sqs.ts) and the local stack.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDatabase } from "@sml/database";
import { createSqsHandler, type SqsHandler } from "./adapters/sqs-handler";
import type { SubscriberConfig } from "./config";

export function createSubscriberFunction(config: SubscriberConfig): SqsHandler {
  const logger = new Logger({ serviceName: config.serviceName });
  const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });
  return createSqsHandler({ users: createDatabase(config.db).users, logger, metrics });
}

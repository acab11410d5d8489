/** Lambda entry point of the subscriber: config, logger, metrics and the database are built once per instance. */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createDatabase } from "@sml/users-db";
import { loadConfig } from "../config";
import { createSqsHandler } from "../adapters/sqs-handler";

const config = loadConfig();
const logger = new Logger({ serviceName: config.serviceName });
const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });

export const handler = createSqsHandler({ users: createDatabase(config.db).users, logger, metrics });

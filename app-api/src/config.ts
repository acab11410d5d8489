/**
 * The API function's configuration, parsed from the environment with zod once at cold start. A missing or
 * malformed required variable throws a ConfigError naming it, so a misconfigured deployment fails on init
 * instead of on the first request.
 */
import { ConfigError, ENV, parseEnv } from "@sml/contracts/env";
import { FUNCTIONS, METRICS_NAMESPACE } from "@sml/contracts/functions";
import * as z from "zod";

export { ConfigError };

const ConfigSchema = z.object({
  [ENV.topicArn]: z
    .string({ error: "is required (the SNS topic new users are published to)" })
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$/, "must be an SNS topic ARN"),
  API_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(25_000).default(2000),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default(FUNCTIONS.api.serviceName),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).max(255).default(METRICS_NAMESPACE),
});

export interface ApiConfig {
  readonly topicArn: string;
  /** How long GET /health waits for the database before answering 503. */
  readonly healthTimeoutMs: number;
  /** Logger and metrics service name (the infrastructure sets one per function). */
  readonly serviceName: string;
  /** CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ApiConfig {
  const e = parseEnv(ConfigSchema, env, "app-api");
  return Object.freeze({
    topicArn: e[ENV.topicArn],
    healthTimeoutMs: e.API_HEALTH_TIMEOUT_MS,
    serviceName: e.POWERTOOLS_SERVICE_NAME,
    metricsNamespace: e.POWERTOOLS_METRICS_NAMESPACE,
  });
}

/**
 * The API function's configuration, parsed from the environment with zod once at cold start. A missing or
 * malformed required variable throws an error naming it, so a misconfigured deployment fails on init
 * instead of on the first request.
 */
import { ENV } from "@sml/contracts/env";
import * as z from "zod";

const ConfigSchema = z.object({
  [ENV.topicArn]: z
    .string({ error: "is required (the SNS topic new users are published to)" })
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$/, "must be an SNS topic ARN"),
  API_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(25_000).default(2000),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default("users-api"),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).max(255).default("ServerlessMlApi"),
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

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ");
    throw new ConfigError(`Invalid app-api configuration: ${problems}`);
  }
  return Object.freeze({
    topicArn: result.data[ENV.topicArn],
    healthTimeoutMs: result.data.API_HEALTH_TIMEOUT_MS,
    serviceName: result.data.POWERTOOLS_SERVICE_NAME,
    metricsNamespace: result.data.POWERTOOLS_METRICS_NAMESPACE,
  });
}

import { type DbConfig, dbConfigFromEnv } from "@sml/users-db";
import * as z from "zod";

export interface SubscriberConfig {
  readonly db: DbConfig;
  /** CloudWatch namespace of the EMF metrics; the API publishes under the same default. */
  readonly metricsNamespace: string;
  readonly serviceName: string;
}

const ObservabilitySchema = z.object({
  POWERTOOLS_METRICS_NAMESPACE: z.string().trim().min(1).default("ServerlessMlApi"),
  POWERTOOLS_SERVICE_NAME: z.string().trim().min(1).default("users-subscriber"),
});

/**
 * Reads the subscriber's settings (database: see @sml/common/db's dbConfigFromEnv). Throws, naming the
 * variable, when one is missing or invalid, so a misconfigured function fails at init, not mid-batch.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): SubscriberConfig {
  const observability = ObservabilitySchema.safeParse(env);
  if (!observability.success) {
    const issue = observability.error.issues[0];
    throw new Error(`Invalid environment variable ${String(issue?.path[0])}: ${issue?.message}`);
  }
  return Object.freeze({
    db: dbConfigFromEnv(env),
    metricsNamespace: observability.data.POWERTOOLS_METRICS_NAMESPACE,
    serviceName: observability.data.POWERTOOLS_SERVICE_NAME,
  });
}

import { parseEnv } from "@sml/contracts/env";
import { FUNCTIONS, METRICS_NAMESPACE } from "@sml/contracts/functions";
import { type DbConfig, dbConfigFromEnv } from "@sml/database";
import * as z from "zod";

export interface SubscriberConfig {
  readonly db: DbConfig;
  /** CloudWatch namespace of the EMF metrics (the registry's, unless the environment says otherwise). */
  readonly metricsNamespace: string;
  readonly serviceName: string;
}

const ObservabilitySchema = z.object({
  POWERTOOLS_METRICS_NAMESPACE: z.string().trim().min(1).default(METRICS_NAMESPACE),
  POWERTOOLS_SERVICE_NAME: z.string().trim().min(1).default(FUNCTIONS.subscriber.serviceName),
});

/**
 * Reads the subscriber's settings (database: see @sml/database's dbConfigFromEnv). Throws a ConfigError naming
 * the variable when one is missing or invalid, so a misconfigured function fails at init, not mid-batch.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SubscriberConfig {
  const observability = parseEnv(ObservabilitySchema, env, "app-subscriber");
  return Object.freeze({
    db: dbConfigFromEnv(env),
    metricsNamespace: observability.POWERTOOLS_METRICS_NAMESPACE,
    serviceName: observability.POWERTOOLS_SERVICE_NAME,
  });
}

import type * as z from "zod";

/**
 * Names of the environment variables the functions read. The infrastructure sets them on each Lambda, the
 * local stack and the tests set them in-process: one list, so a rename cannot leave one side behind.
 */
export const ENV = {
  /** SNS topic the API publishes new users to. */
  topicArn: "TOPIC_ARN",
  /**
   * `on`: the api function serves the docs page (Swagger UI) at /docs through the `$default` route; `off` (the
   * default, and what the infrastructure leaves in dev and prd): /docs is a 404 like any unknown path.
   */
  /** `pg` (default) or `data-api`. */
  dbDriver: "DB_DRIVER",
  /** Local/test connection string; when set, the pg driver uses it instead of the RDS-managed secret. */
  databaseUrl: "DATABASE_URL",
  dbHost: "DB_HOST",
  dbPort: "DB_PORT",
  dbName: "DB_NAME",
  /**
   * The RDS-managed master secret (username/password JSON), read with Powertools Parameters: the migration
   * function's credentials (and the data-api driver's, which takes only secrets).
   */
  dbSecretArn: "DB_SECRET_ARN",
  /** pg driver: `statement_timeout` in ms; the infrastructure sets it below the function's timeout. */
  dbStatementTimeoutMs: "DB_STATEMENT_TIMEOUT_MS",
  /**
   * pg driver: connections per process (default 1: a Lambda instance serves one invocation at a time). The local
   * stack serves concurrent invocations from one process and sets more, as separate instances would have.
   */
  dbMaxConnections: "DB_MAX_CONNECTIONS",
  /**
   * The function's own least-privilege database user (created by migration 0002), logged in with IAM database
   * authentication; the pg driver uses it instead of a secret.
   */
  dbUser: "DB_USER",
  /**
   * Migration function on the Data API path only: `{"<database user>": "<secret ARN>"}`, one Secrets Manager
   * secret per function user. The Data API logs in only with a secret, so each function gets its own user's
   * secret instead of the master's; the migration function writes each secret's password (generated once) and
   * sets it on the user (packages/database/src/database-users.ts).
   */
  dbUserSecrets: "DB_USER_SECRET_ARNS",
  /**
   * How long (ms) the pg driver keeps retrying a new connection the database does not accept yet (a paused
   * Aurora cluster resuming); unset = one try. Must stay below the function's timeout.
   */
  dbConnectDeadlineMs: "DB_CONNECT_DEADLINE_MS",
  /** Region Lambda runs in (set by the runtime); IAM tokens are signed for it. */
  awsRegion: "AWS_REGION",
  /** Aurora cluster ARN, for the RDS Data API driver. */
  dbClusterArn: "DB_CLUSTER_ARN",
  /** Folder holding model.json, weights.bin and the feature metadata (default: `model/` beside the bundle). */
  modelDir: "MODEL_DIR",
  /** The batch predictions bucket (inputs/, parts/, results/; packages/contracts/src/batches.ts). */
  batchBucket: "BATCH_BUCKET",
  /** The batch worker's queue: upload notifications from S3, and the ranges the worker fans out to itself. */
  batchQueueUrl: "BATCH_QUEUE_URL",
} as const;

/** A missing or invalid setting: thrown at init (or at synth), naming the setting, so nothing starts half-configured. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Parses environment variables with a zod schema (schema keys are the variable names) and throws one ConfigError
 * naming every offending variable: the one way every function and the local stack read their settings.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `environment variable ${String(issue.path[0] ?? "(root)")} ${issue.message}`,
  );
  throw new ConfigError(`Invalid ${what} configuration: ${problems.join("; ")}`);
}

/** Throws the ConfigError for a variable that only some settings require. */
export function requireEnv(value: string | undefined, name: string, why: string): string {
  if (value === undefined) throw new ConfigError(`Missing environment variable ${name} (${why})`);
  return value;
}

/**
 * How long the pg driver waits for one connection attempt. A connect retry (DB_CONNECT_DEADLINE_MS) may start
 * its last attempt just before its deadline, so a function's timeout must exceed deadline + this.
 */
export const PG_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The functions' own database users (DB_USER), created with their privileges by migration
 * 0002_app_roles.sql. The infrastructure grants each function `rds-db:connect` as its user; the migration
 * function logs in as the master user from the RDS-managed secret instead.
 */
export const DB_USERS = { api: "sml_api", subscriber: "sml_subscriber", batch: "sml_batch" } as const;

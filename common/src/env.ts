/**
 * Names of the environment variables the functions read. The infrastructure sets them on each Lambda, the
 * local stack and the tests set them in-process: one list, so a rename cannot leave one side behind.
 */
export const ENV = {
  /** SNS topic the API publishes new users to. */
  topicArn: "TOPIC_ARN",
  /** `pg` (default) or `data-api`. */
  dbDriver: "DB_DRIVER",
  /** Local/test connection string; when set, the pg driver uses it instead of the RDS-managed secret. */
  databaseUrl: "DATABASE_URL",
  dbHost: "DB_HOST",
  dbPort: "DB_PORT",
  dbName: "DB_NAME",
  /** The RDS-managed master secret (username/password JSON), read with Powertools Parameters. */
  dbSecretArn: "DB_SECRET_ARN",
  /** pg driver: `statement_timeout` in ms; the infrastructure sets it below the function's timeout. */
  dbStatementTimeoutMs: "DB_STATEMENT_TIMEOUT_MS",
  /**
   * pg driver: connections per process (default 1: a Lambda instance serves one invocation at a time). The local
   * stack serves concurrent invocations from one process and sets more, as separate instances would have.
   */
  dbMaxConnections: "DB_MAX_CONNECTIONS",
  /** Aurora cluster ARN, for the RDS Data API driver. */
  dbClusterArn: "DB_CLUSTER_ARN",
  /** Folder holding model.json, weights.bin and the feature metadata (default: `model/` beside the bundle). */
  modelDir: "MODEL_DIR",
} as const;

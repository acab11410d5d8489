import { ConfigError, ENV, parseEnv, requireEnv } from "@sml/contracts/env";
import * as z from "zod";

/** pg pool settings; unset values keep the driver's defaults (one connection, 10 s statement timeout). */
export interface PgPoolSettings {
  readonly statementTimeoutMs?: number;
  readonly maxConnections?: number;
}

/** Which database the functions use, read from the environment (names in @sml/contracts/env). */
export type DbConfig = (
  | { readonly driver: "pg"; readonly databaseUrl: string }
  | {
      readonly driver: "pg";
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly secretArn: string;
    }
  | {
      readonly driver: "pg";
      readonly host: string;
      readonly port: number;
      readonly database: string;
      /** Database user logged in with IAM database authentication. */
      readonly user: string;
      readonly region: string;
    }
  | {
      readonly driver: "data-api";
      readonly clusterArn: string;
      readonly secretArn: string;
      readonly database: string;
    }
) & {
  /** pg driver: keep retrying a connection the database does not accept yet for this long (ms). */
  readonly connectDeadlineMs?: number;
  /** pg driver: pool size and statement timeout. */
  readonly pool?: PgPoolSettings;
};

const nonEmpty = z.string().trim().min(1);
const EnvSchema = z.object({
  [ENV.dbDriver]: z.enum(["pg", "data-api"]).default("pg"),
  [ENV.databaseUrl]: nonEmpty.optional(),
  [ENV.dbHost]: nonEmpty.optional(),
  [ENV.dbPort]: z.coerce.number().int().min(1).max(65535).default(5432),
  [ENV.dbName]: nonEmpty.optional(),
  [ENV.dbSecretArn]: nonEmpty.optional(),
  [ENV.dbClusterArn]: nonEmpty.optional(),
  [ENV.dbStatementTimeoutMs]: z.coerce.number().int().min(100).optional(),
  [ENV.dbMaxConnections]: z.coerce.number().int().min(1).max(100).optional(),
  [ENV.dbUser]: nonEmpty.optional(),
  [ENV.dbConnectDeadlineMs]: z.coerce.number().int().min(0).max(900_000).optional(),
  [ENV.awsRegion]: nonEmpty.optional(),
});

/**
 * Parses the database settings at cold start. The pg driver uses DATABASE_URL when set (local, tests) and
 * otherwise DB_HOST/DB_PORT/DB_NAME with either DB_USER (IAM database authentication, region AWS_REGION) or the
 * RDS-managed secret DB_SECRET_ARN, never both; DB_CONNECT_DEADLINE_MS makes it wait for a resuming database.
 * The data-api driver needs DB_CLUSTER_ARN, DB_SECRET_ARN and DB_NAME. A missing or invalid variable throws
 * with its name.
 */
export function dbConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): DbConfig {
  const e = parseEnv(EnvSchema, env, "database");
  if (e[ENV.dbDriver] === "data-api") {
    const why = "required when DB_DRIVER=data-api";
    const deadline = e[ENV.dbConnectDeadlineMs];
    return {
      driver: "data-api",
      clusterArn: requireEnv(e[ENV.dbClusterArn], ENV.dbClusterArn, why),
      secretArn: requireEnv(e[ENV.dbSecretArn], ENV.dbSecretArn, why),
      database: requireEnv(e[ENV.dbName], ENV.dbName, why),
      // The migration function waits for a resuming cluster on either driver.
      ...(deadline === undefined ? {} : { connectDeadlineMs: deadline }),
    };
  }
  const poolSettings: PgPoolSettings = {
    ...(e[ENV.dbStatementTimeoutMs] === undefined ? {} : { statementTimeoutMs: e[ENV.dbStatementTimeoutMs] }),
    ...(e[ENV.dbMaxConnections] === undefined ? {} : { maxConnections: e[ENV.dbMaxConnections] }),
  };
  const pool = Object.keys(poolSettings).length > 0 ? { pool: poolSettings } : {};
  const deadline = e[ENV.dbConnectDeadlineMs];
  const retry = deadline === undefined ? {} : { connectDeadlineMs: deadline };
  const url = e[ENV.databaseUrl];
  if (url) return { driver: "pg", databaseUrl: url, ...pool, ...retry };
  const why = `required by the pg driver when ${ENV.databaseUrl} is not set`;
  const server = {
    driver: "pg" as const,
    host: requireEnv(e[ENV.dbHost], ENV.dbHost, why),
    port: e[ENV.dbPort],
    database: requireEnv(e[ENV.dbName], ENV.dbName, why),
    ...pool,
    ...retry,
  };
  const user = e[ENV.dbUser];
  const secretArn = e[ENV.dbSecretArn];
  if (user !== undefined && secretArn !== undefined) {
    throw new ConfigError(
      `Set only one of ${ENV.dbUser} (IAM database authentication) and ${ENV.dbSecretArn} (password from the secret) for the pg driver`,
    );
  }
  if (user !== undefined) {
    return {
      ...server,
      user,
      region: requireEnv(
        e[ENV.awsRegion],
        ENV.awsRegion,
        `IAM tokens for ${ENV.dbUser} are signed for a region`,
      ),
    };
  }
  if (secretArn === undefined) {
    throw new ConfigError(
      `Missing environment variable ${ENV.dbSecretArn} or ${ENV.dbUser} (${why}: the master secret, or the database user for IAM authentication)`,
    );
  }
  return { ...server, secretArn };
}

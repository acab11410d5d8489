import * as z from "zod";
import { ENV } from "../env";

/** pg pool settings; unset values keep the driver's defaults (one connection, 10 s statement timeout). */
export interface PgPoolSettings {
  readonly statementTimeoutMs?: number;
  readonly maxConnections?: number;
}

/** Which database the functions use, read from the environment (names in ../env.ts). */
export type DbConfig =
  | { readonly driver: "pg"; readonly databaseUrl: string; readonly pool?: PgPoolSettings }
  | {
      readonly driver: "pg";
      readonly pool?: PgPoolSettings;
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly secretArn: string;
    }
  | {
      readonly driver: "data-api";
      readonly clusterArn: string;
      readonly secretArn: string;
      readonly database: string;
    };

export class DbConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DbConfigError";
  }
}

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
});

function required(value: string | undefined, name: string, why: string): string {
  if (value === undefined) throw new DbConfigError(`Missing environment variable ${name} (${why})`);
  return value;
}

/**
 * Parses the database settings at cold start. The pg driver uses DATABASE_URL when set (local, tests) and
 * otherwise DB_HOST/DB_PORT/DB_NAME with the RDS-managed secret DB_SECRET_ARN; the data-api driver needs
 * DB_CLUSTER_ARN, DB_SECRET_ARN and DB_NAME. A missing or invalid variable throws with its name.
 */
export function dbConfigFromEnv(env: Record<string, string | undefined> = process.env): DbConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DbConfigError(
      `Invalid environment variable ${String(issue?.path[0])}: ${issue?.message ?? "invalid value"}`,
    );
  }
  const e = parsed.data;
  if (e[ENV.dbDriver] === "data-api") {
    const why = "required when DB_DRIVER=data-api";
    return {
      driver: "data-api",
      clusterArn: required(e[ENV.dbClusterArn], ENV.dbClusterArn, why),
      secretArn: required(e[ENV.dbSecretArn], ENV.dbSecretArn, why),
      database: required(e[ENV.dbName], ENV.dbName, why),
    };
  }
  const poolSettings: PgPoolSettings = {
    ...(e[ENV.dbStatementTimeoutMs] === undefined ? {} : { statementTimeoutMs: e[ENV.dbStatementTimeoutMs] }),
    ...(e[ENV.dbMaxConnections] === undefined ? {} : { maxConnections: e[ENV.dbMaxConnections] }),
  };
  const pool = Object.keys(poolSettings).length > 0 ? { pool: poolSettings } : {};
  const url = e[ENV.databaseUrl];
  if (url) return { driver: "pg", databaseUrl: url, ...pool };
  const why = `required by the pg driver when ${ENV.databaseUrl} is not set`;
  return {
    driver: "pg",
    host: required(e[ENV.dbHost], ENV.dbHost, why),
    port: e[ENV.dbPort],
    database: required(e[ENV.dbName], ENV.dbName, why),
    secretArn: required(e[ENV.dbSecretArn], ENV.dbSecretArn, why),
    ...pool,
  };
}

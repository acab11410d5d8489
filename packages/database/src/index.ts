/**
 * The users database: migrations, the SQL executors (pg, RDS Data API, PGlite) and the UserRepository over
 * them. `createDatabase(config)` is what functions and the local stack call; the lower-level constructors are
 * exported for tests and tools.
 */
import type { UserRepository } from "@sml/contracts/users";
import type { DbConfig } from "./config";
import type { RetryLogger } from "./connect-retry";
import { createDataApiExecutor, type DataApiDeps } from "./data-api";
import type { ClosableSqlExecutor } from "./executor";
import { createPgExecutor, type PgDeps, type PgTls } from "./pg";
import { createPgliteExecutor, type PgliteLike } from "./pglite";
import { createSqlUserRepository } from "./user-repository";

export * from "./batch-repository";
export * from "./config";
export * from "./connect-retry";
export * from "./data-api";
export * from "./database-users";
export * from "./executor";
export * from "./migrations";
export * from "./pg";
export * from "./pglite";
export * from "./user-repository";

/** A database handle: the users port plus the executor (for migrations) and a way to release connections. */
export interface Database {
  readonly users: UserRepository;
  readonly sql: ClosableSqlExecutor;
  close(): Promise<void>;
}

export type DatabaseConfig = DbConfig | { readonly driver: "pglite"; readonly db: PgliteLike };

export interface DatabaseDeps extends PgDeps, DataApiDeps {
  /** TLS override for the secret- and IAM-based pg connections (default: Lambda's CA bundle, verified). */
  readonly tls?: PgTls;
  /** Logs each connection try when the config sets a connect deadline (Powertools' Logger fits). */
  readonly logger?: RetryLogger;
}

function pgDeps(config: DbConfig, deps: DatabaseDeps): PgDeps {
  if (deps.connectRetry || config.connectDeadlineMs === undefined) return deps;
  return {
    ...deps,
    connectRetry: {
      deadlineMs: config.connectDeadlineMs,
      ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    },
  };
}

/** Builds the executor the config names; nothing connects until the first query. */
export function createSqlExecutor(config: DatabaseConfig, deps: DatabaseDeps = {}): ClosableSqlExecutor {
  switch (config.driver) {
    case "pglite":
      return createPgliteExecutor(config.db);
    case "data-api":
      return createDataApiExecutor(
        { resourceArn: config.clusterArn, secretArn: config.secretArn, database: config.database },
        config.connectDeadlineMs === undefined
          ? deps
          : { ...deps, resumeDeadlineMs: config.connectDeadlineMs },
      );
    case "pg": {
      const pg = pgDeps(config, deps);
      const pool = config.pool ? { pool: config.pool } : {};
      if ("databaseUrl" in config)
        return createPgExecutor({ kind: "url", connectionString: config.databaseUrl, ...pool }, pg);
      const server = {
        host: config.host,
        port: config.port,
        database: config.database,
        ...pool,
        ...(deps.tls === undefined ? {} : { tls: deps.tls }),
      };
      return "user" in config
        ? createPgExecutor({ kind: "iam", ...server, user: config.user, region: config.region }, pg)
        : createPgExecutor({ kind: "secret", ...server, secretArn: config.secretArn }, pg);
    }
  }
}

/** The UserRepository for a config: pg, RDS Data API or PGlite. */
export function createDatabase(config: DatabaseConfig, deps: DatabaseDeps = {}): Database {
  const sql = createSqlExecutor(config, deps);
  return { users: createSqlUserRepository(sql), sql, close: () => sql.close() };
}

/** Shorthand for callers that need only the port. */
export function createUserRepository(config: DatabaseConfig, deps: DatabaseDeps = {}): UserRepository {
  return createDatabase(config, deps).users;
}

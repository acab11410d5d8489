/**
 * The one seam between SQL and a driver: the repository and the migration runner speak only this, so the same
 * statements run on node-postgres, the RDS Data API and PGlite.
 */

/** Values a statement can bind. Statements cast them in SQL (`CAST($1 AS uuid)`), so drivers never guess. */
export type SqlParam = string | number | boolean | null;

/** A result row by column name; statements return text and integers only, identical on every driver. */
export type SqlRow = Record<string, string | number | boolean | null>;

export interface SqlExecutor {
  /** Runs ONE statement with positional parameters `$1..$n`. */
  query<R extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<R[]>;
  /** Runs `work` in a transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

/** An executor that owns connections or clients and must be closed (tests, local stack, benchmarks). */
export interface ClosableSqlExecutor extends SqlExecutor {
  close(): Promise<void>;
}

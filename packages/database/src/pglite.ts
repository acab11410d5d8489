import type { ClosableSqlExecutor, SqlExecutor, SqlParam, SqlRow } from "./executor";

/**
 * The part of PGlite (`@electric-sql/pglite`) the executor uses. Structural, so common does not load the WASM
 * build unless the caller (local stack, tests) already has.
 */
export interface PgliteQueryable {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}
export interface PgliteLike extends PgliteQueryable {
  transaction<T>(work: (tx: PgliteQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const queryOn =
  (db: PgliteQueryable) =>
  async <R extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<R[]> =>
    (await db.query<R>(sql, [...params])).rows;

/** A SqlExecutor over an open PGlite instance; `close` closes that instance. */
export function createPgliteExecutor(db: PgliteLike): ClosableSqlExecutor {
  return {
    query: queryOn(db),
    transaction: (work) =>
      db.transaction((inner) => {
        const tx: SqlExecutor = { query: queryOn(inner), transaction: (nested) => nested(tx) };
        return work(tx);
      }),
    close: () => db.close(),
  };
}

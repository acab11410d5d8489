import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SqlExecutor } from "./executor";

/**
 * Folder of the versioned migrations (`NNNN_name.sql`). Resolved from this module, which in a Lambda bundle is
 * the bundle's folder: the build copies the .sql files into `<bundle>/migrations/`.
 */
export const MIGRATIONS_DIR = join(__dirname, "migrations");

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Arbitrary but fixed key of the advisory lock that serialises migration runs across concurrent callers. */
const MIGRATION_LOCK_KEY = 7_210_031_400;

export interface Migration {
  /** Four digits, e.g. `0001`; applied in ascending order. */
  readonly version: string;
  readonly name: string;
  /** sha256 of the file; a changed file that was already applied is refused rather than silently skipped. */
  readonly checksum: string;
  readonly statements: readonly string[];
}

export interface MigrationSummary {
  /** Versions applied by this run, in order. */
  readonly applied: readonly string[];
  /** Versions that were applied before this run. */
  readonly alreadyApplied: readonly string[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MigrationError";
  }
}

/**
 * Splits a migration into statements, because the RDS Data API and PGlite's parameterised `query` run one
 * statement per call. Rule for migration authors: end every statement with `;` at the end of a line, and keep
 * `;` out of the middle of lines that end a statement (no dollar-quoted bodies that need it).
 */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n");
  return withoutComments
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads and orders the migrations in `dir`; a file that does not follow `NNNN_name.sql` is an error. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const seen = new Set<string>();
  return files.map((file) => {
    const match = FILE_PATTERN.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new MigrationError(`Migration file ${file} in ${dir} must be named NNNN_lower_snake_name.sql`);
    }
    const version = match[1];
    if (seen.has(version)) throw new MigrationError(`Two migration files in ${dir} share version ${version}`);
    seen.add(version);
    const text = readFileSync(join(dir, file), "utf8");
    return {
      version,
      name: match[2],
      checksum: createHash("sha256").update(text).digest("hex"),
      statements: splitStatements(text),
    };
  });
}

/**
 * Applies the pending migrations in one transaction under a transaction-scoped advisory lock, so concurrent
 * runs (a deploy and a local start, two test workers) wait for each other and each migration runs once.
 * A failing migration rolls back the whole run.
 */
export async function runMigrations(
  db: SqlExecutor,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<MigrationSummary> {
  return db.transaction(async (tx) => {
    // CAST: the Data API cannot return the `void` that pg_advisory_xact_lock yields.
    await tx.query(`SELECT CAST(pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}) AS text) AS locked`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const rows = await tx.query<{ version: string; checksum: string }>(
      "SELECT version, checksum FROM schema_migrations ORDER BY version",
    );
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const checksum = done.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.version}_${migration.name} changed after it was applied; add a new migration instead of editing it`,
          );
        }
        continue;
      }
      for (const statement of migration.statements) {
        try {
          await tx.query(statement);
        } catch (err) {
          throw new MigrationError(
            `Migration ${migration.version}_${migration.name} failed: ${(err as Error).message}`,
            { cause: err },
          );
        }
      }
      await tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.version);
    }
    return { applied, alreadyApplied: [...done.keys()] };
  });
}

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where the versioned SQL migrations live (bundled into the migrate function). */
export const MIGRATIONS_DIR = "packages/database/src/migrations";

export interface MigrationSet {
  /** File names, in the order the runner applies them. */
  readonly files: readonly string[];
  /** sha256 over every file's name and content: changes whenever a migration is added or edited. */
  readonly hash: string;
}

/**
 * Reads the migration set at synth. A missing folder is an empty set (hash of nothing), so a checkout without
 * migrations still synthesizes; the invocation then re-runs as soon as the first migration appears.
 */
export function readMigrationSet(repoRoot: string, dir = MIGRATIONS_DIR): MigrationSet {
  const folder = join(repoRoot, dir);
  const files = existsSync(folder)
    ? readdirSync(folder)
        .filter((f) => f.endsWith(".sql"))
        .sort()
    : [];
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(folder, file)));
    hash.update("\0");
  }
  return { files, hash: hash.digest("hex") };
}

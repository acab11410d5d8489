/**
 * A new embedded database starts as a copy of a template: a PGlite data folder created once per PGlite version
 * and set of migrations (initdb, then every migration, then a clean close), kept in the local stack's cache
 * folder. Creating a data folder runs initdb in WASM, 3-13 s on a 2-core machine (issue 29: most of a fresh
 * `npm start`); copying a closed one takes a fraction of a second and gives the same files, as a cold copy of a
 * cleanly shut down PostgreSQL data directory does. The first start on a machine builds the template.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { createPgliteExecutor, loadMigrations, runMigrations } from "@sml/database";

/** The file initdb writes first and PostgreSQL reads to know a data directory. */
const PG_VERSION_FILE = "PG_VERSION";

/** PGlite's version (its on-disk format) and every migration's checksum: a change to either is a new template. */
export function templateKey(): string {
  // Its package exports no package.json; the CommonJS entry is dist/index.cjs.
  const packageJson = join(dirname(require.resolve("@electric-sql/pglite")), "..", "package.json");
  const pglite = JSON.parse(readFileSync(packageJson, "utf8")) as { version: string };
  const migrations = loadMigrations().map((m) => `${m.version}:${m.checksum}`);
  const hash = createHash("sha256").update(migrations.join("\n")).digest("hex").slice(0, 16);
  return `pglite-${pglite.version}-${hash}`;
}

/** True when `dir` holds no PostgreSQL data directory yet (absent or empty). */
export function isNewDataDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** The template's folder in `cacheDir`, built first if this machine has none for the current key. */
export async function ensureTemplate(cacheDir: string): Promise<string> {
  const template = join(cacheDir, templateKey());
  if (existsSync(join(template, PG_VERSION_FILE))) return template;
  mkdirSync(cacheDir, { recursive: true });
  const building = `${template}.${process.pid}.tmp`;
  rmSync(building, { recursive: true, force: true });
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(building);
  try {
    await runMigrations(createPgliteExecutor(db));
  } finally {
    // Closing checkpoints: the folder is a cleanly shut down data directory.
    await db.close();
  }
  try {
    renameSync(building, template);
  } catch (err) {
    // Another start built the same template meanwhile: theirs is as good.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(template, PG_VERSION_FILE))) throw err;
  }
  return template;
}

/** Fills the new data folder `dataDir` from the template (building that first if needed). */
export async function copyTemplateInto(dataDir: string, cacheDir: string): Promise<void> {
  const template = await ensureTemplate(cacheDir);
  mkdirSync(dataDir, { recursive: true });
  cpSync(template, dataDir, { recursive: true });
}

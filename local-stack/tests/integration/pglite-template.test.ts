/**
 * A new embedded database is a copy of the migrated template (pglite-template.ts), not a fresh initdb: the copy
 * must be a database with every migration applied, as `npm start` used to build it, and stay independent of the
 * template and of other copies.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { loadMigrations } from "@sml/database";
import { copyTemplateInto, ensureTemplate, isNewDataDir, templateKey } from "../../src/pglite-template";

// Building the template runs initdb in WASM: several seconds, more on a loaded machine.
jest.setTimeout(180_000);

let root: string;
let cacheDir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sml-pglite-template-"));
  cacheDir = join(root, "cache");
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const appliedVersions = async (db: PGlite) =>
  (await db.query<{ version: string }>("SELECT version FROM schema_migrations ORDER BY version")).rows.map(
    (r) => r.version,
  );

test("builds the template once per PGlite version and migration set, and reuses it", async () => {
  const template = await ensureTemplate(cacheDir);
  expect(template).toBe(join(cacheDir, templateKey()));
  expect(templateKey()).toMatch(/^pglite-\d+\.\d+\.\d+-[0-9a-f]{16}$/);
  const builtAt = statSync(join(template, "PG_VERSION")).mtimeMs;
  expect(await ensureTemplate(cacheDir)).toBe(template);
  expect(statSync(join(template, "PG_VERSION")).mtimeMs).toBe(builtAt);
  // Only the finished template is left: no half-built folder.
  expect(readdirSync(cacheDir)).toEqual([templateKey()]);
});

test("a new data folder is a migrated database of its own", async () => {
  const first = join(root, "first");
  const second = join(root, "second");
  expect(isNewDataDir(first)).toBe(true);
  await copyTemplateInto(first, cacheDir);
  await copyTemplateInto(second, cacheDir);
  expect(isNewDataDir(first)).toBe(false);

  const db = await PGlite.create(first);
  try {
    expect(await appliedVersions(db)).toEqual(loadMigrations().map((m) => m.version));
    await db.query(
      "INSERT INTO users (name, email, last_published_at, last_message_id) VALUES ('Ada Lovelace', 'ada@example.com', now(), 'm-1')",
    );
    expect((await db.query("SELECT email FROM users")).rows).toEqual([{ email: "ada@example.com" }]);
  } finally {
    await db.close();
  }

  // Neither the other copy nor the template saw that write.
  for (const dir of [second, join(cacheDir, templateKey())]) {
    const other = await PGlite.create(dir);
    try {
      expect((await other.query("SELECT count(*)::int AS n FROM users")).rows).toEqual([{ n: 0 }]);
    } finally {
      await other.close();
    }
  }
});

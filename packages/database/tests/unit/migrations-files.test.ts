import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPgExecutor, loadMigrations, MigrationError, splitStatements } from "../../src";

describe("migration files", () => {
  test("loads in version order with a checksum per file", () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort());
    expect(migrations[0]).toMatchObject({
      version: "0001",
      name: "create_users",
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  test("splits into single statements, dropping comment lines", () => {
    expect(
      splitStatements(
        "-- a comment; with a semicolon\nCREATE TABLE a (x int);\n\nCREATE INDEX b ON a (x);  \n",
      ),
    ).toEqual(["CREATE TABLE a (x int)", "CREATE INDEX b ON a (x)"]);
  });

  test.each([["1_short.sql"], ["0002-dashes.sql"], ["0003_UPPER.sql"]])("rejects a file named %s", (file) => {
    const dir = mkdtempSync(join(tmpdir(), "sml-migrations-"));
    try {
      writeFileSync(join(dir, file), "SELECT 1;\n");
      expect(() => loadMigrations(dir)).toThrow(MigrationError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("rejects two files with the same version", () => {
    const dir = mkdtempSync(join(tmpdir(), "sml-migrations-"));
    try {
      writeFileSync(join(dir, "0001_a.sql"), "SELECT 1;\n");
      writeFileSync(join(dir, "0001_b.sql"), "SELECT 2;\n");
      expect(() => loadMigrations(dir)).toThrow(/share version 0001/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("pg executor", () => {
  test("fails a query quickly when nothing listens on the database port", async () => {
    const sql = createPgExecutor({
      kind: "url",
      connectionString: "postgres://postgres@127.0.0.1:1/postgres",
    });
    try {
      await expect(sql.query("SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await sql.close();
    }
  });
});

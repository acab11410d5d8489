import { type ClosableSqlExecutor, createDatabase, createPgExecutor, dbConfigFromEnv } from "../../src";
import { createScratchDatabase, type ScratchDatabase } from "../../src/testing";
import { userRepositoryContract } from "../support/contract";

let scratch: ScratchDatabase;
let sql: ClosableSqlExecutor;
let secondSql: ClosableSqlExecutor;

beforeAll(async () => {
  scratch = await createScratchDatabase("common_pg");
  sql = createPgExecutor({ kind: "url", connectionString: scratch.url });
  secondSql = createPgExecutor({ kind: "url", connectionString: scratch.url });
});

afterAll(async () => {
  await sql?.close();
  await secondSql?.close();
  await scratch?.drop();
});

userRepositoryContract("PostgreSQL server via pg", () => ({ sql, secondSql }));

describe("pool settings from the environment (issue 16, finding 5)", () => {
  const fromEnv = (extra: Record<string, string>) =>
    createDatabase(dbConfigFromEnv({ DATABASE_URL: scratch.url, ...extra }));

  test("answers a ping beside a slow query when DB_MAX_CONNECTIONS allows a second connection", async () => {
    const db = fromEnv({ DB_MAX_CONNECTIONS: "2" });
    try {
      const slow = db.sql.query("SELECT pg_sleep(1.5)");
      const started = Date.now();
      await db.users.ping();
      // One shared connection would queue the ping behind the 1.5 s query, as /health was in the probe.
      expect(Date.now() - started).toBeLessThan(1_000);
      await slow;
    } finally {
      await db.close();
    }
  });

  test("ends a statement at DB_STATEMENT_TIMEOUT_MS with PostgreSQL's query_canceled", async () => {
    const db = fromEnv({ DB_STATEMENT_TIMEOUT_MS: "300" });
    try {
      const started = Date.now();
      await expect(db.sql.query("SELECT pg_sleep(3)")).rejects.toMatchObject({ code: "57014" });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await db.close();
    }
  });
});

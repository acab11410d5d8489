import { type ClosableSqlExecutor, createPgExecutor } from "../../src";
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

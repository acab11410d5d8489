import { PGlite } from "@electric-sql/pglite";
import { type ClosableSqlExecutor, createPgliteExecutor } from "../../src";
import { userRepositoryContract } from "../support/contract";

let sql: ClosableSqlExecutor;

beforeAll(async () => {
  sql = createPgliteExecutor(await PGlite.create());
});

afterAll(async () => {
  await sql?.close();
});

// PGlite is single-connection: the "second" executor is the same instance, which still exercises the lock path.
userRepositoryContract("PGlite", () => ({ sql, secondSql: sql }));

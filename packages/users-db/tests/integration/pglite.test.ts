import { PGlite } from "@electric-sql/pglite";
import { type ClosableSqlExecutor, createPgliteExecutor } from "../../src/db";
import { userRepositoryContract } from "./contract";

let sql: ClosableSqlExecutor;

beforeAll(async () => {
  sql = createPgliteExecutor(await PGlite.create());
});

afterAll(async () => {
  await sql?.close();
});

// PGlite is single-connection: the "second" executor is the same instance, which still exercises the lock path.
userRepositoryContract("PGlite", () => ({ sql, secondSql: sql }));

import { PGlite } from "@electric-sql/pglite";
import { type ClosableSqlExecutor, createPgliteExecutor } from "../../src";
import { userRepositoryContract } from "../support/contract";

let sql: ClosableSqlExecutor;

// Creating PGlite (PostgreSQL in WASM) takes ~2.5 s on an idle 2-core machine and several times that when the
// other suites run beside it: jest's 5 s hook default is not a budget for it.
beforeAll(async () => {
  sql = createPgliteExecutor(await PGlite.create());
}, 60_000);

afterAll(async () => {
  await sql?.close();
});

// PGlite is single-connection: the "second" executor is the same instance, which still exercises the lock path.
userRepositoryContract("PGlite", () => ({ sql, secondSql: sql }));

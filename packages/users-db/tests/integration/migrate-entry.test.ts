/**
 * The migrate Lambda entry point as Lambda loads it: config from the environment at import, then invocations.
 * Runs against a scratch database on the PostgreSQL server.
 */
import type { MigrationSummary } from "../../src";
import { createScratchDatabase, type ScratchDatabase } from "../../src/testing";

let scratch: ScratchDatabase;
const savedEnv = { ...process.env };

beforeAll(async () => {
  scratch = await createScratchDatabase("migrate_entry");
  process.env.DATABASE_URL = scratch.url;
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

afterAll(async () => {
  process.env = savedEnv;
  await scratch?.drop();
});

type MigrateHandler = () => Promise<MigrationSummary>;

test("migrate handler applies the migrations once and reports the versions", async () => {
  let handler: MigrateHandler | undefined;
  jest.isolateModules(() => {
    handler = (require("../../src/handlers/migrate") as { handler: MigrateHandler }).handler;
  });
  if (!handler) throw new Error("handler did not load");
  expect(await handler()).toEqual({ applied: ["0001"], alreadyApplied: [] });
  expect(await handler()).toEqual({ applied: [], alreadyApplied: ["0001"] });
});

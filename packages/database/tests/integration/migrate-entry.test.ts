/**
 * The migrate Lambda entry point as Lambda loads it: config from the environment at import, then invocations.
 * Runs against a scratch database on the PostgreSQL server.
 */
import { loadMigrations, type MigrationSummary } from "../../src";
import { createScratchDatabase, type ScratchDatabase, startDelayedProxy } from "../../src/testing";

let scratch: ScratchDatabase;
const savedEnv = { ...process.env };
const versions = loadMigrations().map((m) => m.version);

/** The JSON lines the handler's Powertools logger writes (through the console under POWERTOOLS_DEV). */
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  scratch = await createScratchDatabase("migrate_entry");
  process.env.DATABASE_URL = scratch.url;
  process.env.POWERTOOLS_DEV = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "INFO";
  for (const method of ["info", "warn", "error", "debug", "log"] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      for (const arg of args) {
        if (typeof arg !== "string") continue;
        try {
          lines.push(JSON.parse(arg) as Record<string, unknown>);
        } catch {
          // Non-JSON console output (warnings of other libraries) is not ours to check.
        }
      }
    });
  }
}, 30_000);

afterAll(async () => {
  process.env = savedEnv;
  jest.restoreAllMocks();
  await scratch?.drop();
});

type MigrateHandler = () => Promise<MigrationSummary>;

const loadHandler = (): MigrateHandler => {
  let handler: MigrateHandler | undefined;
  jest.isolateModules(() => {
    handler = (require("../../src/handlers/migrate") as { handler: MigrateHandler }).handler;
  });
  if (!handler) throw new Error("handler did not load");
  return handler;
};

test("migrate handler applies the migrations once and reports the versions", async () => {
  const handler = loadHandler();
  expect(await handler()).toEqual({ applied: versions, alreadyApplied: [] });
  expect(await handler()).toEqual({ applied: [], alreadyApplied: versions });
});

test("migrate handler waits for a database that refuses connections at first, logging each try", async () => {
  // As on a paused dev cluster: nothing accepts connections for 2 s (Aurora resumes in about 15-30 s).
  const proxy = await startDelayedProxy(scratch.url, { mode: "refuse", delayMs: 2_000 });
  const saved = { ...process.env };
  process.env.DATABASE_URL = proxy.url;
  process.env.DB_CONNECT_DEADLINE_MS = "20000";
  try {
    const handler = loadHandler();
    expect(await handler()).toEqual({ applied: [], alreadyApplied: versions });
    const tries = lines.filter((l) => l.message === "Database not accepting connections");
    expect(tries.length).toBeGreaterThanOrEqual(1);
    expect(tries[0]).toMatchObject({ level: "WARN", service: "users-migrate", attempt: 1 });
    expect(lines).toContainEqual(
      expect.objectContaining({ message: "Database accepted the connection", attempt: tries.length + 1 }),
    );
  } finally {
    process.env = saved;
    await proxy.close();
  }
}, 20_000);

/**
 * Waiting for a database that does not accept connections yet, against the real PostgreSQL server behind a TCP
 * proxy that refuses or holds connections for a while. What it models: an Aurora Serverless v2 cluster resuming
 * from auto-pause takes about 15 s, about 30 s after more than a day paused (Aurora user guide, "Scaling to
 * zero ACUs with automatic pause and resume for Aurora Serverless v2"); during that time a new connection is
 * held until the instance is up. The pg connect timeout is 5 s, so one attempt cannot outlast a resume.
 */

import { PG_CONNECT_TIMEOUT_MS } from "@sml/contracts/env";
import {
  type ClosableSqlExecutor,
  createPgExecutor,
  createSqlExecutor,
  DatabaseUnavailableError,
  dbConfigFromEnv,
  loadMigrations,
  type RetryLogger,
  runMigrations,
} from "../../src";
import {
  createScratchDatabase,
  type DelayedProxy,
  type ScratchDatabase,
  startDelayedProxy,
} from "../../src/testing";

let scratch: ScratchDatabase;
const open: (DelayedProxy | ClosableSqlExecutor)[] = [];

beforeAll(async () => {
  scratch = await createScratchDatabase("connect_wait");
}, 30_000);

afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
});

afterAll(async () => {
  await scratch?.drop();
});

/** A logger that records what the retry logs (Powertools' Logger in the functions). */
function recordingLogger() {
  const entries: { level: "info" | "warn"; message: string; extra: Record<string, unknown> }[] = [];
  const logger: RetryLogger = {
    info: (message, ...extra) => entries.push({ level: "info", message, extra: Object.assign({}, ...extra) }),
    warn: (message, ...extra) => entries.push({ level: "warn", message, extra: Object.assign({}, ...extra) }),
  };
  return { logger, entries };
}

async function proxy(mode: "refuse" | "hold", delayMs: number): Promise<DelayedProxy> {
  const p = await startDelayedProxy(scratch.url, { mode, delayMs });
  open.push(p);
  return p;
}

function executor(url: string, deadlineMs?: number, logger?: RetryLogger): ClosableSqlExecutor {
  const sql = createPgExecutor(
    { kind: "url", connectionString: url },
    deadlineMs === undefined ? {} : { connectRetry: { deadlineMs, ...(logger ? { logger } : {}) } },
  );
  open.push(sql);
  return sql;
}

describe("pg driver waiting for the database (real PostgreSQL behind a delaying proxy)", () => {
  test("without a deadline, a database that refuses connections fails the first query (the old behaviour)", async () => {
    const p = await proxy("refuse", 2_000);
    await expect(executor(p.url).query("SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
  });

  test("retries with growing waits while connections are refused, logging each try, then connects", async () => {
    const p = await proxy("refuse", 2_000);
    const { logger, entries } = recordingLogger();
    const started = Date.now();
    await expect(executor(p.url, 20_000, logger).query("SELECT 1 AS ok")).resolves.toEqual([{ ok: 1 }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    const tries = entries.filter((e) => e.level === "warn");
    expect(tries.length).toBeGreaterThanOrEqual(2);
    expect(tries.map((t) => t.extra.attempt)).toEqual(tries.map((_, i) => i + 1));
    const waits = tries.map((t) => Number(t.extra.nextAttemptInMs));
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1] as number);
    expect(tries[0]?.extra.error).toMatch(/ECONNREFUSED/);
    expect(entries.at(-1)).toMatchObject({
      level: "info",
      extra: { attempt: tries.length + 1, database: expect.stringContaining(scratch.name) },
    });
  }, 20_000);

  test("outlasts a resume longer than one connect timeout, when the server holds connections unanswered", async () => {
    // Held for longer than PG_CONNECT_TIMEOUT_MS: the first attempt must time out, a later one get through.
    const p = await proxy("hold", PG_CONNECT_TIMEOUT_MS + 1_500);
    const { logger, entries } = recordingLogger();
    await expect(executor(p.url, 30_000, logger).query("SELECT 1 AS ok")).resolves.toEqual([{ ok: 1 }]);
    const tries = entries.filter((e) => e.level === "warn");
    expect(tries[0]?.extra.error).toMatch(/timeout/i);
    expect(p.accepted()).toBeGreaterThanOrEqual(2);
  }, 20_000);

  test("gives up at the deadline with an error naming the database and the time waited", async () => {
    const p = await proxy("refuse", 60_000);
    const { logger, entries } = recordingLogger();
    const started = Date.now();
    const attempt = executor(p.url, 2_500, logger).query("SELECT 1");
    await expect(attempt).rejects.toBeInstanceOf(DatabaseUnavailableError);
    const elapsed = Date.now() - started;
    // It tries until the deadline and then stops: at most one connect attempt beyond it.
    expect(elapsed).toBeGreaterThanOrEqual(2_500);
    expect(elapsed).toBeLessThan(2_500 + PG_CONNECT_TIMEOUT_MS);
    const err = (await attempt.catch((e: unknown) => e)) as DatabaseUnavailableError;
    expect(err.message).toContain(scratch.name);
    expect(err.message).toMatch(/within \d+\.\d s/);
    expect(err.waitedMs).toBeLessThanOrEqual(elapsed);
    expect(err.attempts).toBe(entries.filter((e) => e.level === "warn").length);
    expect(entries.at(-1)?.extra.givingUp).toBe(true);
    expect((err.cause as Error).message).toMatch(/ECONNREFUSED/);
  }, 20_000);

  test("does not retry an error that waiting cannot fix (a database that does not exist)", async () => {
    const url = new URL(scratch.url);
    url.pathname = "/sml_no_such_database";
    const { logger, entries } = recordingLogger();
    const started = Date.now();
    await expect(executor(url.toString(), 20_000, logger).query("SELECT 1")).rejects.toThrow(
      /does not exist/,
    );
    expect(entries).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("migration path (as the migrate function builds it from its environment)", () => {
  test("applies the migrations once a refusing database comes up, within DB_CONNECT_DEADLINE_MS", async () => {
    const p = await proxy("refuse", 2_000);
    const { logger, entries } = recordingLogger();
    const sql = createSqlExecutor(dbConfigFromEnv({ DATABASE_URL: p.url, DB_CONNECT_DEADLINE_MS: "20000" }), {
      logger,
    });
    open.push(sql);
    const summary = await runMigrations(sql);
    expect([...summary.applied, ...summary.alreadyApplied].sort()).toEqual(
      loadMigrations().map((m) => m.version),
    );
    expect(entries.filter((e) => e.level === "warn").length).toBeGreaterThanOrEqual(1);
  }, 20_000);
});

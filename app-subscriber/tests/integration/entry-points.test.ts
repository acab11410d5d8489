/**
 * The Lambda entry points as Lambda loads them: config from the environment at import, then invocations.
 * Runs against a scratch database on the PostgreSQL server.
 */
import { loadMigrations, type MigrationSummary } from "@sml/common/db";
import { createScratchDatabase, type ScratchDatabase, startDelayedProxy } from "@sml/common/db/testing";
import type { SQSBatchResponse } from "aws-lambda";
import { Client } from "pg";
import { lambdaContext, snsEnvelope, sqsEvent, sqsRecord } from "../support/events";
import { capturedObservability } from "../support/observability";

let scratch: ScratchDatabase;
let observed: ReturnType<typeof capturedObservability>;
const savedEnv = { ...process.env };
const versions = loadMigrations().map((m) => m.version);

beforeAll(async () => {
  scratch = await createScratchDatabase("subscriber_entry");
  process.env.DATABASE_URL = scratch.url;
  observed = capturedObservability();
}, 30_000);

afterAll(async () => {
  process.env = savedEnv;
  await scratch?.drop();
});

type MigrateHandler = () => Promise<MigrationSummary>;
type SqsEntry = (event: unknown, context: unknown) => Promise<SQSBatchResponse>;

test("migrate handler applies the migrations once and reports the versions", async () => {
  let handler: MigrateHandler | undefined;
  jest.isolateModules(() => {
    handler = (require("../../src/handlers/migrate") as { handler: MigrateHandler }).handler;
  });
  if (!handler) throw new Error("handler did not load");
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
    let handler: MigrateHandler | undefined;
    jest.isolateModules(() => {
      handler = (require("../../src/handlers/migrate") as { handler: MigrateHandler }).handler;
    });
    if (!handler) throw new Error("handler did not load");
    expect(await handler()).toEqual({ applied: [], alreadyApplied: versions });
    const tries = observed.lines.filter((l) => l.message === "Database not accepting connections");
    expect(tries.length).toBeGreaterThanOrEqual(1);
    expect(tries[0]).toMatchObject({ level: "WARN", service: "users-migrate", attempt: 1 });
    expect(observed.lines).toContainEqual(
      expect.objectContaining({ message: "Database accepted the connection", attempt: tries.length + 1 }),
    );
  } finally {
    process.env = saved;
    await proxy.close();
  }
}, 20_000);

test("sqs handler stores a user delivered through SNS", async () => {
  let handler: SqsEntry | undefined;
  jest.isolateModules(() => {
    handler = (require("../../src/handlers/sqs") as { handler: SqsEntry }).handler;
  });
  if (!handler) throw new Error("handler did not load");
  const response = await handler(
    sqsEvent([sqsRecord(snsEnvelope({ name: "Entry Point", email: "entry@example.com" }))]),
    lambdaContext(),
  );
  expect(response).toEqual({ batchItemFailures: [] });
  const client = new Client({ connectionString: scratch.url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT name FROM users WHERE email = 'entry@example.com'");
    expect(rows).toEqual([{ name: "Entry Point" }]);
  } finally {
    await client.end();
  }
});

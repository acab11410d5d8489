/**
 * The Lambda entry points as Lambda loads them: config from the environment at import, then invocations.
 * Runs against a scratch database on the PostgreSQL server.
 */
import { createSqlExecutor, runMigrations } from "@sml/database";
import { createScratchDatabase, type ScratchDatabase } from "@sml/database/testing";
import type { SQSBatchResponse } from "aws-lambda";
import { Client } from "pg";
import { lambdaContext, snsEnvelope, sqsEvent, sqsRecord } from "../support/events";
import { capturedObservability } from "../support/observability";

let scratch: ScratchDatabase;
const savedEnv = { ...process.env };

beforeAll(async () => {
  scratch = await createScratchDatabase("subscriber_entry");
  // As deployed, the migrate function has created the schema before the subscriber runs.
  const sql = createSqlExecutor({ driver: "pg", databaseUrl: scratch.url });
  try {
    await runMigrations(sql);
  } finally {
    await sql.close();
  }
  process.env.DATABASE_URL = scratch.url;
  capturedObservability();
}, 30_000);

afterAll(async () => {
  process.env = savedEnv;
  await scratch?.drop();
});

type SqsEntry = (event: unknown, context: unknown) => Promise<SQSBatchResponse>;

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

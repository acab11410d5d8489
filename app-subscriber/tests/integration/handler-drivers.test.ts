/**
 * The subscriber handler over each database driver the factory offers: the PostgreSQL server (pg), PGlite, and
 * the RDS Data API (data-api-local over the PostgreSQL server).
 */
import { randomUUID } from "node:crypto";
import { RDSDataClient } from "@aws-sdk/client-rds-data";
import { PGlite } from "@electric-sql/pglite";
import { createDatabase, type Database, runMigrations } from "@sml/database";
import { createScratchDatabase, type LocalDataApi, startLocalDataApi } from "@sml/database/testing";
import { createSqsHandler } from "../../src/adapters/sqs-handler";
import { lambdaContext, snsEnvelope, sqsEvent, sqsRecord } from "../support/events";
import { capturedObservability } from "../support/observability";

interface Target {
  readonly db: Database;
  readonly cleanup: () => Promise<void>;
}

const targets: Record<string, () => Promise<Target>> = {
  pg: async () => {
    const scratch = await createScratchDatabase("subscriber_pg");
    const db = createDatabase({ driver: "pg", databaseUrl: scratch.url });
    return {
      db,
      cleanup: async () => {
        await db.close();
        await scratch.drop();
      },
    };
  },
  pglite: async () => {
    const db = createDatabase({ driver: "pglite", db: await PGlite.create() });
    return { db, cleanup: () => db.close() };
  },
  "data-api": async () => {
    const scratch = await createScratchDatabase("subscriber_data_api");
    const api: LocalDataApi = await startLocalDataApi(scratch.url);
    const client = new RDSDataClient({ endpoint: api.endpoint });
    const db = createDatabase(
      { driver: "data-api", clusterArn: api.resourceArn, secretArn: api.secretArn, database: scratch.name },
      { client },
    );
    return {
      db,
      cleanup: async () => {
        client.destroy();
        await api.stop();
        await scratch.drop();
      },
    };
  },
};

describe.each(Object.keys(targets))("subscriber handler on the %s driver", (driver) => {
  let target: Target;

  beforeAll(async () => {
    target = await (targets[driver] as () => Promise<Target>)();
    await runMigrations(target.db.sql);
  }, 30_000);

  afterAll(async () => {
    await target?.cleanup();
  });

  test("stores the valid records of a mixed batch, newest per email, and reports the malformed one", async () => {
    const { logger, metrics } = capturedObservability();
    const handler = createSqsHandler({ users: target.db.users, logger, metrics });
    const event = sqsEvent([
      sqsRecord(
        snsEnvelope({ name: "Old", email: "mix@example.com" }, { timestamp: "2026-01-01T00:00:01.000Z" }),
      ),
      sqsRecord(snsEnvelope({ name: "Bad", email: 5 }), { messageId: "bad-1" }),
      sqsRecord(
        snsEnvelope({ name: "New", email: "MIX@example.com" }, { timestamp: "2026-01-01T00:00:02.000Z" }),
      ),
      sqsRecord(snsEnvelope({ name: "Solo", email: "solo@example.com" })),
    ]);
    expect(await handler(event, lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: "bad-1" }],
    });
    const { items } = await target.db.users.list({ limit: 10 });
    expect(items.map((u) => [u.email, u.name]).sort()).toEqual([
      ["MIX@example.com", "New"],
      ["solo@example.com", "Solo"],
    ]);
  });

  // Valid to zod and JavaScript, unstorable to PostgreSQL (year 0000 is out of range, jsonb refuses NUL): let
  // through, such a message would fail the batch's one statement, and its valid batch-mates with it, until every
  // one of them reached the DLQ.
  test.each([
    ["a publish time in year 0000", { timestamp: "0000-01-01T00:00:00.000Z" }],
    ["a NUL in the SNS message id", { messageId: "id\u0000x" }],
  ])("reports a message with %s and still stores its batch-mates", async (_label, envelope) => {
    const { logger, metrics } = capturedObservability();
    const handler = createSqsHandler({ users: target.db.users, logger, metrics });
    const mate = `mate-${randomUUID()}@example.com`;
    const event = sqsEvent([
      sqsRecord(snsEnvelope({ name: "Unstorable", email: `u-${randomUUID()}@example.com` }, envelope), {
        messageId: "unstorable",
      }),
      sqsRecord(snsEnvelope({ name: "Mate", email: mate })),
    ]);
    expect(await handler(event, lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: "unstorable" }],
    });
    const { items } = await target.db.users.list({ limit: 100 });
    expect(items.map((u) => u.email)).toContain(mate);
  });
});

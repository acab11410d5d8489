/**
 * The database goes away mid-stream. Uses a PRIVATE PostgreSQL cluster (initdb + pg_ctl in a temp dir on its
 * own port), never the shared server on 5432, so stopping it disturbs no other test.
 */
import { PublishBatchCommand } from "@aws-sdk/client-sns";
import { createDatabase, type Database, runMigrations } from "@sml/database";
import { type PrivatePostgres, startPrivatePostgres } from "@sml/database/testing";
import { createSqsHandler } from "../../src/adapters/sqs-handler";
import { pumpUntilEmpty } from "../support/event-source";
import { capturedObservability } from "../support/observability";
import { createUsersPath, queueDepth } from "../support/queues";

let cluster: PrivatePostgres;
let db: Database;

beforeAll(async () => {
  cluster = await startPrivatePostgres();
  db = createDatabase({ driver: "pg", databaseUrl: cluster.url });
  await runMigrations(db.sql);
}, 60_000);

afterAll(async () => {
  await db?.close();
  await cluster?.destroy();
});

test("loses no message when a private PostgreSQL cluster (initdb + pg_ctl) stops mid-stream and restarts", async () => {
  const path = await createUsersPath({ visibilityTimeoutSeconds: 1 });
  const { logger, metrics, metricTotal } = capturedObservability();
  const handler = createSqsHandler({ users: db.users, logger, metrics });
  const total = 40;
  for (let start = 0; start < total; start += 10) {
    await path.sns.send(
      new PublishBatchCommand({
        TopicArn: path.topicArn,
        PublishBatchRequestEntries: Array.from({ length: 10 }, (_, i) => ({
          Id: String(i),
          Message: JSON.stringify({ name: `User ${start + i}`, email: `user${start + i}@example.com` }),
        })),
      }),
    );
  }

  let failures = 0;
  const outcomes = await pumpUntilEmpty(path.sqs, path, handler, {
    timeoutMs: 60_000,
    onInvocation: async (outcome, n) => {
      if (n === 1) await cluster.stop();
      if (outcome === "threw" && ++failures === 2) await cluster.start();
    },
  });

  expect(outcomes[0]).toBe("ok");
  expect(outcomes).toContain("threw");
  expect(metricTotal("BatchWriteFailures")).toBe(failures);
  const [count] = await db.sql.query<{ n: number; distinct_emails: number }>(
    "SELECT CAST(count(*) AS int) AS n, CAST(count(DISTINCT lower(email)) AS int) AS distinct_emails FROM users",
  );
  expect(count).toEqual({ n: total, distinct_emails: total });
  expect(await queueDepth(path.sqs, path.dlqUrl)).toBe(0);
}, 90_000);

/**
 * SNS topic -> SQS queue (DLQ redrive from DEFAULT_MESSAGING_SETTINGS) on fauxqs, with the real AWS SDK
 * clients, an emulated Lambda event source mapping, the subscriber handler and the PostgreSQL server.
 */
import { PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createDatabase, type Database, runMigrations } from "@sml/database";
import { createScratchDatabase, type ScratchDatabase } from "@sml/database/testing";
import { createSqsHandler, type SqsHandler } from "../../src/adapters/sqs-handler";
import { invokeWith, pumpUntilEmpty } from "../support/event-source";
import { capturedObservability } from "../support/observability";
import { createUsersPath, queueDepth, receive } from "../support/queues";

let scratch: ScratchDatabase;
let db: Database;
let handler: SqsHandler;

beforeAll(async () => {
  scratch = await createScratchDatabase("subscriber_queue");
  db = createDatabase({ driver: "pg", databaseUrl: scratch.url });
  await runMigrations(db.sql);
});

beforeEach(async () => {
  await db.sql.query("TRUNCATE users");
  const { logger, metrics } = capturedObservability();
  handler = createSqsHandler({ users: db.users, logger, metrics });
});

afterAll(async () => {
  await db?.close();
  await scratch?.drop();
});

const rows = () =>
  db.sql.query<{ name: string; email: string; last_message_id: string; updated_at: string }>(
    "SELECT name, email, last_message_id, CAST(updated_at AS text) AS updated_at FROM users ORDER BY email",
  );

async function publish(
  path: { sns: import("@aws-sdk/client-sns").SNSClient; topicArn: string },
  message: unknown,
) {
  const { MessageId } = await path.sns.send(
    new PublishCommand({
      TopicArn: path.topicArn,
      Message: typeof message === "string" ? message : JSON.stringify(message),
    }),
  );
  return MessageId;
}

describe("users queue path through fauxqs", () => {
  test("stores every published user as one row and empties the queue", async () => {
    const path = await createUsersPath();
    for (let i = 0; i < 25; i++) await publish(path, { name: `User ${i}`, email: `user${i}@example.com` });
    const outcomes = await pumpUntilEmpty(path.sqs, path, handler);
    expect(outcomes.every((o) => o === "ok")).toBe(true);
    expect(await rows()).toHaveLength(25);
    expect(await queueDepth(path.sqs, path.dlqUrl)).toBe(0);
  });

  test("keeps one row, unchanged, when the same SNS message is delivered twice", async () => {
    const path = await createUsersPath();
    const snsId = await publish(path, { name: "Ada", email: "ada@example.com" });
    const [first] = await receive(path.sqs, path.queueUrl);
    expect(first?.Body).toContain(snsId);
    // SNS delivers at least once: put the identical envelope on the queue a second time.
    await path.sqs.send(new SendMessageCommand({ QueueUrl: path.queueUrl, MessageBody: first?.Body ?? "" }));
    await invokeWith(path.sqs, path, handler, first ? [first] : []);
    const afterFirst = await rows();
    await pumpUntilEmpty(path.sqs, path, handler);
    expect(await rows()).toEqual(afterFirst);
    expect(afterFirst).toEqual([expect.objectContaining({ name: "Ada", last_message_id: snsId })]);
  });

  test("leaves the newer name when two updates arrive in reverse order", async () => {
    const path = await createUsersPath();
    await publish(path, { name: "Old Name", email: "grace@example.com" });
    // SNS timestamps have millisecond resolution: make sure the second publish is strictly later.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await publish(path, { name: "New Name", email: "Grace@Example.com" });
    const messages = [
      ...(await receive(path.sqs, path.queueUrl)),
      ...(await receive(path.sqs, path.queueUrl)),
    ];
    expect(messages).toHaveLength(2);
    const [older, newer] = messages.sort((a, b) =>
      String(JSON.parse(a.Body ?? "{}").Timestamp).localeCompare(
        String(JSON.parse(b.Body ?? "{}").Timestamp),
      ),
    );
    if (!older || !newer) throw new Error("expected two messages");
    await invokeWith(path.sqs, path, handler, [newer]);
    await invokeWith(path.sqs, path, handler, [older]);
    expect((await rows()).map((r) => r.name)).toEqual(["New Name"]);
    expect(await queueDepth(path.sqs, path.queueUrl)).toBe(0);
  });

  test("moves a poison message to the DLQ after maxReceiveCount while its batch-mates are stored", async () => {
    const path = await createUsersPath();
    await publish(path, { name: "Before", email: "before@example.com" });
    const poisonId = await publish(path, { name: 42, email: ["not", "an", "email"] });
    await publish(path, "this is not JSON");
    await publish(path, { name: "After", email: "after@example.com" });
    const outcomes = await pumpUntilEmpty(path.sqs, path, handler);
    expect(outcomes).not.toContain("threw");
    expect((await rows()).map((r) => r.name)).toEqual(["After", "Before"]);
    const dead = [...(await receive(path.sqs, path.dlqUrl)), ...(await receive(path.sqs, path.dlqUrl))];
    expect(dead).toHaveLength(2);
    expect(dead.map((m) => JSON.parse(m.Body ?? "{}").MessageId)).toContain(poisonId);
    // Each poison message was tried maxReceiveCount times before the queue gave up on it.
    expect(outcomes.length).toBeGreaterThanOrEqual(path.maxReceiveCount);
  }, 30_000);

  test("stores users delivered with raw message delivery", async () => {
    const path = await createUsersPath({ rawDelivery: true });
    await publish(path, { name: "Raw", email: "raw@example.com" });
    await pumpUntilEmpty(path.sqs, path, handler);
    expect((await rows()).map((r) => [r.name, r.email])).toEqual([["Raw", "raw@example.com"]]);
  });
});

import { createSqsHandler } from "../../src/adapters/sqs-handler";
import { UserStoreUnavailableError } from "../../src/core/errors";
import { lambdaContext, snsEnvelope, sqsEvent, sqsRecord } from "../support/events";
import { fakeUsers } from "../support/fake-users";
import { capturedObservability } from "../support/observability";

const user = (n: number) => ({ name: `User ${n}`, email: `user${n}@example.com` });

describe("SQS handler (fake repository)", () => {
  test("writes the valid records in one call and reports only the malformed ones", async () => {
    const { users, calls } = fakeUsers();
    const { logger, metrics, lines, metricTotal } = capturedObservability();
    const handler = createSqsHandler({ users, logger, metrics });
    const poison = sqsRecord(snsEnvelope({ name: "" }), { messageId: "poison-1" });
    const event = sqsEvent([sqsRecord(snsEnvelope(user(1))), poison, sqsRecord(snsEnvelope(user(2)))]);

    const response = await handler(event, lambdaContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "poison-1" }] });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.map((w) => w.email)).toEqual(["user1@example.com", "user2@example.com"]);
    const warning = lines.find((l) => l.message === "Rejected a malformed message");
    expect(warning).toMatchObject({
      level: "WARN",
      messageId: "poison-1",
      reason: expect.stringMatching(/email/),
    });
    expect(metricTotal("MalformedMessages")).toBe(1);
    expect(metricTotal("UsersWritten")).toBe(2);
  });

  test("reports every record of an all-malformed batch without touching the store", async () => {
    const { users, calls } = fakeUsers();
    const { logger, metrics } = capturedObservability();
    const handler = createSqsHandler({ users, logger, metrics });
    const response = await handler(
      sqsEvent([sqsRecord("{", { messageId: "a" }), sqsRecord("[]", { messageId: "b" })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["a", "b"]);
    expect(calls).toHaveLength(0);
  });

  test("fails the whole invocation when the store is unreachable, logging every message id", async () => {
    const { users } = fakeUsers({ failWith: new Error("connect ECONNREFUSED") });
    const { logger, metrics, lines, metricTotal } = capturedObservability();
    const handler = createSqsHandler({ users, logger, metrics });
    const event = sqsEvent([
      sqsRecord(snsEnvelope(user(3)), { messageId: "x" }),
      sqsRecord(snsEnvelope(user(4)), { messageId: "y" }),
    ]);
    await expect(handler(event, lambdaContext())).rejects.toBeInstanceOf(UserStoreUnavailableError);
    expect(lines.find((l) => l.level === "ERROR")).toMatchObject({ messageIds: ["x", "y"] });
    expect(metricTotal("BatchWriteFailures")).toBe(1);
  });

  test("logs the Lambda request id with each line", async () => {
    const { users } = fakeUsers();
    const { logger, metrics, lines } = capturedObservability();
    const handler = createSqsHandler({ users, logger, metrics });
    const context = lambdaContext();
    await handler(sqsEvent([sqsRecord(snsEnvelope(user(5)))]), context);
    expect(lines.find((l) => l.message === "Stored a batch")).toMatchObject({
      function_request_id: context.awsRequestId,
      written: 1,
    });
  });
});

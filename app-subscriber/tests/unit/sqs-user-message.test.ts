import { fromSqsRecord } from "../../src/adapters/sqs-user-message";
import { MalformedMessageError } from "../../src/core/errors";
import { snsEnvelope, sqsRecord } from "../support/events";

describe("fromSqsRecord", () => {
  test("takes the SNS message id, publish time and message from an SNS envelope", () => {
    const record = sqsRecord(
      snsEnvelope(
        { name: "Ada", email: "ada@example.com" },
        { messageId: "sns-1", timestamp: "2026-02-03T04:05:06.789Z" },
      ),
    );
    expect(fromSqsRecord(record)).toEqual({
      messageId: "sns-1",
      publishedAt: new Date("2026-02-03T04:05:06.789Z"),
      body: JSON.stringify({ name: "Ada", email: "ada@example.com" }),
    });
  });

  test("uses the SQS message id and send time under raw message delivery", () => {
    const body = JSON.stringify({ name: "Raw", email: "raw@example.com" });
    const record = sqsRecord(body, {
      messageId: "sqs-raw",
      sentTimestamp: Date.parse("2026-03-01T00:00:00.000Z"),
    });
    expect(fromSqsRecord(record)).toEqual({
      messageId: "sqs-raw",
      publishedAt: new Date("2026-03-01T00:00:00.000Z"),
      body,
    });
  });

  test("rejects a body that is not JSON", () => {
    expect(() => fromSqsRecord(sqsRecord("not json"))).toThrow(MalformedMessageError);
  });

  test("rejects an SNS envelope without a valid timestamp, naming the field", () => {
    const envelope = JSON.parse(snsEnvelope({ name: "A", email: "a@example.com" })) as Record<
      string,
      unknown
    >;
    envelope.Timestamp = "yesterday";
    expect(() => fromSqsRecord(sqsRecord(JSON.stringify(envelope)))).toThrow(
      /SNS envelope is invalid \(Timestamp\)/,
    );
  });
});

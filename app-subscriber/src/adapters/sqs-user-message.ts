import { SnsSqsNotificationSchema } from "@aws-lambda-powertools/parser/schemas";
import type { SQSRecord } from "aws-lambda";
import { MalformedMessageError } from "../core/errors";
import type { IncomingUserMessage } from "../core/user-message";

/**
 * Reads the user message out of an SQS record. With SNS's default delivery the body is the SNS envelope
 * (message id and publish time inside, validated by Powertools' SnsSqsNotificationSchema); with raw message
 * delivery the body is the message itself, and SQS's message id and send time stand in for SNS's.
 */
export function fromSqsRecord(record: SQSRecord): IncomingUserMessage {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (err) {
    throw new MalformedMessageError("SQS body is not JSON", { cause: err });
  }
  if (typeof body === "object" && body !== null && (body as { Type?: unknown }).Type === "Notification") {
    const envelope = SnsSqsNotificationSchema.safeParse(body);
    if (!envelope.success) {
      const fields = envelope.error.issues.map((i) => i.path.map(String).join(".") || "(root)").join(", ");
      throw new MalformedMessageError(`SNS envelope is invalid (${fields})`);
    }
    return {
      messageId: envelope.data.MessageId,
      publishedAt: new Date(envelope.data.Timestamp),
      body: envelope.data.Message,
    };
  }
  return {
    messageId: record.messageId,
    publishedAt: new Date(Number(record.attributes.SentTimestamp)),
    body: record.body,
  };
}

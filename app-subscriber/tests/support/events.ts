import type { Context, SQSEvent, SQSRecord } from "aws-lambda";

let counter = 0;

/** An SNS notification envelope as SNS delivers it to SQS (raw delivery off). */
export function snsEnvelope(message: unknown, opts: { messageId?: string; timestamp?: string } = {}): string {
  counter += 1;
  return JSON.stringify({
    Type: "Notification",
    MessageId: opts.messageId ?? `00000000-0000-4000-8000-${counter.toString().padStart(12, "0")}`,
    TopicArn: "arn:aws:sns:us-east-1:000000000000:users",
    Subject: null,
    Message: typeof message === "string" ? message : JSON.stringify(message),
    Timestamp: opts.timestamp ?? "2026-01-01T00:00:00.000Z",
    SignatureVersion: "1",
    Signature: "c2lnbmF0dXJl",
    SigningCertURL: "https://sns.us-east-1.amazonaws.com/cert.pem",
    UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
  });
}

export function sqsRecord(
  body: string,
  opts: { messageId?: string; sentTimestamp?: number } = {},
): SQSRecord {
  counter += 1;
  return {
    messageId: opts.messageId ?? `sqs-${counter}`,
    receiptHandle: `rh-${counter}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(opts.sentTimestamp ?? Date.parse("2026-01-01T00:00:00.000Z")),
      SenderId: "local",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:users",
    awsRegion: "us-east-1",
  };
}

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: "users-subscriber",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:users-subscriber",
  memoryLimitInMB: "256",
  awsRequestId: `req-${++counter}`,
  logGroupName: "/aws/lambda/users-subscriber",
  logStreamName: "local",
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

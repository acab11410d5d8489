import { DeleteMessageBatchCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { SqsHandler } from "../../src/adapters/sqs-handler";
import { lambdaContext } from "./events";
import { queueDepth, receive } from "./queues";

/** The SQS event Lambda builds from received messages. */
export function toSqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.MessageId ?? "",
        receiptHandle: m.ReceiptHandle ?? "",
        body: m.Body ?? "",
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: m.Attributes?.SenderId ?? "local",
          ApproximateFirstReceiveTimestamp:
            m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: "us-east-1",
      }),
    ),
  };
}

export type InvocationOutcome = "empty" | "ok" | "threw";

/**
 * One turn of the Lambda event source mapping with ReportBatchItemFailures: invoke the handler with the received
 * messages and delete those it did not report failed. A thrown invocation deletes nothing, so every message
 * of the batch comes back after the visibility timeout.
 */
export async function invokeWith(
  sqs: SQSClient,
  queue: { queueUrl: string; queueArn: string },
  handler: SqsHandler,
  messages: readonly Message[],
): Promise<InvocationOutcome> {
  if (messages.length === 0) return "empty";
  let failed: Set<string>;
  try {
    const response = await handler(toSqsEvent(messages, queue.queueArn), lambdaContext());
    failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  } catch {
    return "threw";
  }
  const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
  }
  return "ok";
}

/**
 * Polls like the event source mapping until the queue holds nothing (visible or in flight), backing off after
 * a failed invocation as Lambda does. Returns the outcome of every invocation.
 */
export async function pumpUntilEmpty(
  sqs: SQSClient,
  queue: { queueUrl: string; queueArn: string },
  handler: SqsHandler,
  options: {
    timeoutMs?: number;
    onInvocation?: (outcome: InvocationOutcome, n: number) => Promise<void>;
  } = {},
): Promise<InvocationOutcome[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const outcomes: InvocationOutcome[] = [];
  while (Date.now() < deadline) {
    const outcome = await invokeWith(sqs, queue, handler, await receive(sqs, queue.queueUrl, 1));
    if (outcome !== "empty") {
      outcomes.push(outcome);
      await options.onInvocation?.(outcome, outcomes.length);
    }
    if (outcome === "threw") await new Promise((resolve) => setTimeout(resolve, 250));
    if (outcome === "empty" && (await queueDepth(sqs, queue.queueUrl)) === 0) return outcomes;
  }
  throw new Error(`Queue ${queue.queueUrl} still held messages after ${options.timeoutMs ?? 30_000} ms`);
}

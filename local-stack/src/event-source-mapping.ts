/**
 * Lambda's SQS event source mapping, emulated: pollers long-poll the queue, gather up to `batchSize` records
 * within the batching window, invoke the subscriber with a real SQS event, delete what succeeded, and leave
 * failures (reported in `batchItemFailures`, or the whole batch when the function throws or times out)
 * invisible until the visibility timeout, so SQS counts receives and moves a poison message to the DLQ.
 * As in AWS, `maximumConcurrency` pollers run at once.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { MessagingSettings } from "@sml/contracts/messaging";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { lambdaContext, withTimeout } from "./lambda-context";
import { log } from "./log";

/** The subscriber's handler; anything but an `SQSBatchResponse` (e.g. undefined) means every record succeeded. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface EventSourceMappingOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly functionName: string;
  readonly handler: SqsHandler;
  readonly settings: MessagingSettings;
}

/** Counters for the banner, tests and benchmarks. */
export interface MappingStats {
  invocations: number;
  recordsDeleted: number;
  recordsFailed: number;
}

/** SQS returns at most 10 messages per receive. */
const SQS_MAX_RECEIVE = 10;
/** AWS's long-poll maximum; stop() aborts the wait, so it never delays shutdown. */
const LONG_POLL_SECONDS = 20;

export class EventSourceMapping {
  readonly stats: MappingStats = { invocations: 0, recordsDeleted: 0, recordsFailed: 0 };
  private running = false;
  private invoking = 0;
  private readonly abort = new AbortController();
  private pollers: Promise<void>[] = [];

  constructor(private readonly options: EventSourceMappingOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.options.settings.maximumConcurrency; i++) this.pollers.push(this.poll(i));
  }

  /** True while a batch is being gathered or processed. */
  get busy(): boolean {
    return this.invoking > 0;
  }

  /** Stops polling; batches already received are still delivered, so nothing waits out a visibility timeout. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.all(this.pollers);
    this.pollers = [];
  }

  private async poll(poller: number): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.gatherBatch();
        if (batch.length > 0) {
          this.invoking++;
          try {
            await this.invoke(batch);
          } finally {
            this.invoking--;
          }
        }
      } catch (err) {
        if (!this.running) break;
        log.error("event source mapping poll failed; retrying in 1 s", { poller, error: err as Error });
        await sleep(1000);
      }
    }
  }

  /** One long poll for the first records, then more receives until the batch is full or the window closes. */
  private async gatherBatch(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.options.settings;
    const batch = await this.receive(batchSize, LONG_POLL_SECONDS);
    if (batch.length === 0) return batch;
    const windowEnds = Date.now() + maximumBatchingWindowSeconds * 1000;
    while (this.running && batch.length < batchSize && Date.now() < windowEnds) {
      const more = await this.receive(batchSize - batch.length, 0).catch((err: unknown) => {
        // Keep what is already received: it is invisible to others until delivered or timed out.
        if (this.running) throw err;
        return [];
      });
      if (more.length === 0) await sleep(Math.min(50, Math.max(0, windowEnds - Date.now())));
      batch.push(...more);
    }
    return batch;
  }

  private async receive(wanted: number, waitSeconds: number): Promise<Message[]> {
    const out = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_RECEIVE, wanted),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
      { abortSignal: this.abort.signal },
    );
    return out.Messages ?? [];
  }

  private async invoke(messages: Message[]): Promise<void> {
    const { functionName, handler, settings, region } = this.options;
    const event: SQSEvent = { Records: messages.map((m) => this.toRecord(m)) };
    const context = lambdaContext({
      functionName,
      region,
      timeoutSeconds: settings.subscriberTimeoutSeconds,
      memoryMB: 512,
    });
    this.stats.invocations++;
    let failedIds: Set<string>;
    try {
      const response = await withTimeout(
        Promise.resolve().then(() => handler(event, context)),
        settings.subscriberTimeoutSeconds,
        functionName,
      );
      failedIds = this.failuresFrom(response, event);
    } catch (err) {
      log.warn("subscriber invocation failed; the whole batch returns after the visibility timeout", {
        records: messages.length,
        requestId: context.awsRequestId,
        error: err as Error,
      });
      failedIds = new Set(event.Records.map((r) => r.messageId));
    }
    const succeeded = event.Records.filter((r) => !failedIds.has(r.messageId));
    this.stats.recordsFailed += event.Records.length - succeeded.length;
    await this.deleteAll(succeeded);
  }

  /**
   * ReportBatchItemFailures semantics: listed ids failed, everything else succeeded; an identifier that is
   * empty or not in the batch makes Lambda treat the whole batch as failed.
   */
  private failuresFrom(response: unknown, event: SQSEvent): Set<string> {
    const all = new Set(event.Records.map((r) => r.messageId));
    const failures = (response as Partial<SQSBatchResponse> | undefined)?.batchItemFailures ?? [];
    const failed = new Set<string>();
    for (const failure of failures) {
      const id = failure?.itemIdentifier;
      if (typeof id !== "string" || !all.has(id)) {
        log.warn("batchItemFailures names an unknown record; treating the whole batch as failed", { id });
        return all;
      }
      failed.add(id);
    }
    return failed;
  }

  private async deleteAll(records: readonly SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += SQS_MAX_RECEIVE) {
      const chunk = records.slice(i, i + SQS_MAX_RECEIVE);
      // Not aborted by stop(): a delete that is lost would make a processed message come back.
      const out = await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
      this.stats.recordsDeleted += out.Successful?.length ?? 0;
      for (const failure of out.Failed ?? []) {
        log.warn("could not delete a processed message; SQS will deliver it again", { failure });
      }
    }
  }

  private toRecord(m: Message): SQSRecord {
    const a = m.Attributes ?? {};
    return {
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body ?? "",
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
        SentTimestamp: a.SentTimestamp ?? String(Date.now()),
        SenderId: a.SenderId ?? "AIDALOCALSTACK",
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(a.AWSTraceHeader ? { AWSTraceHeader: a.AWSTraceHeader } : {}),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([name, v]) => [
          name,
          {
            ...(v.StringValue === undefined ? {} : { stringValue: v.StringValue }),
            ...(v.BinaryValue === undefined
              ? {}
              : { binaryValue: Buffer.from(v.BinaryValue).toString("base64") }),
            stringListValues: v.StringListValues ?? [],
            binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
            dataType: v.DataType ?? "String",
          },
        ]),
      ),
      md5OfBody: m.MD5OfBody ?? "",
      ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
      eventSource: "aws:sqs",
      eventSourceARN: this.options.queueArn,
      awsRegion: this.options.region,
    };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

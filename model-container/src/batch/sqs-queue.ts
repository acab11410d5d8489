/**
 * The worker's queue: the range messages it sends itself, and reading what arrives (S3 upload notifications or
 * range messages) from an SQS event.
 */
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type RangeMessage, RangeMessageSchema } from "@sml/contracts/batches";
import * as z from "zod";
import type { RangeQueue } from "./ports";

/** SQS takes at most 10 entries per SendMessageBatch. */
const SQS_MAX_BATCH = 10;

export function createSqsRangeQueue(queueUrl: string, sqs: SQSClient = new SQSClient({})): RangeQueue {
  return {
    async send(messages) {
      for (let i = 0; i < messages.length; i += SQS_MAX_BATCH) {
        const chunk = messages.slice(i, i + SQS_MAX_BATCH);
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((m) => ({ Id: String(m.index), MessageBody: JSON.stringify(m) })),
          }),
        );
        if (out.Failed && out.Failed.length > 0) {
          const first = out.Failed[0];
          throw new Error(
            `SQS refused ${out.Failed.length} range messages: ${first?.Code} ${first?.Message}`,
          );
        }
      }
    },
  };
}

/** S3's event notification (docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html). */
const S3EventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        // eTag and versionId (versioned buckets) name the very upload that was created.
        object: z.object({
          key: z.string(),
          eTag: z.string().min(1).optional(),
          versionId: z.string().min(1).optional(),
        }),
      }),
    }),
  ),
});
/** Sent once when the notification is configured. */
const S3TestEventSchema = z.object({ Event: z.literal("s3:TestEvent") });

/** One object an S3 notification announced: its key and, as S3 sends them, the upload's ETag and version. */
export interface UploadNotice {
  readonly key: string;
  readonly eTag?: string;
  readonly versionId?: string;
}

export type WorkerMessage =
  | { readonly kind: "upload"; readonly uploads: UploadNotice[] }
  | { readonly kind: "range"; readonly range: RangeMessage }
  | { readonly kind: "test" };

/** Reads one queue message; throws on anything else (the message then ends in the dead-letter queue). */
export function parseWorkerMessage(body: string): WorkerMessage {
  const json: unknown = JSON.parse(body);
  if (S3TestEventSchema.safeParse(json).success) return { kind: "test" };
  const s3 = S3EventSchema.safeParse(json);
  if (s3.success) {
    return {
      kind: "upload",
      uploads: s3.data.Records.filter((r) => r.eventName.startsWith("ObjectCreated:")).map(
        ({ s3: { object } }) => ({
          // Keys arrive URL-encoded, spaces as '+' (same page as above).
          key: decodeURIComponent(object.key.replace(/\+/g, " ")),
          ...(object.eTag === undefined ? {} : { eTag: object.eTag }),
          ...(object.versionId === undefined ? {} : { versionId: object.versionId }),
        }),
      ),
    };
  }
  return { kind: "range", range: RangeMessageSchema.parse(json) };
}

/**
 * An S3 ObjectCreated notification for one key, as S3 sends it (the local stack sends the same); S3 writes the
 * ETag without quotes. Without an ETag the worker pins the object it finds when it plans.
 */
export function s3ObjectCreatedEvent(
  bucket: string,
  key: string,
  size: number,
  upload: { readonly eTag?: string; readonly versionId?: string } = {},
): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        eventTime: new Date().toISOString(),
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeURIComponent(key).replace(/%2F/g, "/"),
            size,
            ...(upload.eTag === undefined ? {} : { eTag: upload.eTag.replace(/"/g, "") }),
            ...(upload.versionId === undefined ? {} : { versionId: upload.versionId }),
          },
        },
      },
    ],
  });
}

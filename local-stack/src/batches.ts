/**
 * Batch predictions on this machine: the batch bucket in fauxqs's S3, the worker's queue and dead-letter queue,
 * and the S3 -> SQS upload notification, which fauxqs does not implement (no PutBucketNotification): the local
 * stack sends the same ObjectCreated event S3 would, for objects created under inputs/ only, as the deployed
 * bucket's notification filter does.
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { BATCH_PREFIXES, BATCH_QUEUE_SETTINGS } from "@sml/contracts/batches";
import type { MessagingSettings } from "@sml/contracts/messaging";
import { s3ObjectCreatedEvent } from "@sml/model-container/batch-queue";
import { log } from "./log";
import { awsClientConfig } from "./messaging";

export const LOCAL_BATCH_NAMES = {
  bucket: "sml-batches-local",
  queue: "batch-worker-local",
  deadLetterQueue: "batch-worker-dlq-local",
} as const;

/**
 * The deployed settings, except the visibility timeout: six times the worker's 15 minutes would leave a failed
 * range invisible for an hour and a half here; a minute lets a retry happen while someone watches.
 */
export const LOCAL_BATCH_QUEUE_SETTINGS: MessagingSettings = Object.freeze({
  ...BATCH_QUEUE_SETTINGS,
  visibilityTimeoutSeconds: 60,
  // Two cores on the machines here.
  maximumConcurrency: 2,
});

/** A created object as fauxqs's HTTP server saw it: the request's method, path and query, and its status. */
export interface S3Write {
  readonly method: string;
  readonly url: string;
  readonly statusCode: number;
}

/**
 * The S3 key an upload created, or undefined: a PUT of a whole object (not a part: no partNumber), or the POST
 * that completes a multipart upload, answered 200, in path style (`/<bucket>/<key>`).
 */
export function createdObject(write: S3Write): { bucket: string; key: string } | undefined {
  if (write.statusCode !== 200) return undefined;
  const url = new URL(write.url, "http://local");
  const isPut =
    write.method === "PUT" && !url.searchParams.has("partNumber") && !url.searchParams.has("uploadId");
  const isComplete = write.method === "POST" && url.searchParams.has("uploadId");
  if (!isPut && !isComplete) return undefined;
  const [, bucket, ...key] = url.pathname.split("/");
  if (!bucket || key.length === 0) return undefined;
  return { bucket, key: decodeURIComponent(key.join("/")) };
}

export interface LocalBatches {
  readonly bucket: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  /** Sends the upload notification for a write, if it created an input (never throws: logs). */
  notify(write: S3Write): void;
  stop(): void;
}

export async function startBatches(
  endpoint: string,
  region: string,
  s3Endpoint: string,
): Promise<LocalBatches> {
  const config = awsClientConfig(endpoint, region);
  const s3 = new S3Client({ ...awsClientConfig(s3Endpoint, region), forcePathStyle: true });
  const sqs = new SQSClient(config);
  await s3.send(new CreateBucketCommand({ Bucket: LOCAL_BATCH_NAMES.bucket })).catch((err: Error) => {
    // A durable store keeps the bucket from the last run.
    if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
  });
  const queue = async (name: string, attributes: Record<string, string>) => {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const url = `${endpoint}${new URL(created.QueueUrl as string).pathname}`;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    const arn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))
    ).Attributes?.QueueArn as string;
    return { url, arn };
  };
  const settings = LOCAL_BATCH_QUEUE_SETTINGS;
  const dlq = await queue(LOCAL_BATCH_NAMES.deadLetterQueue, {
    MessageRetentionPeriod: String(settings.deadLetterRetentionSeconds),
  });
  const main = await queue(LOCAL_BATCH_NAMES.queue, {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.messageRetentionSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: settings.maxReceiveCount,
    }),
  });
  s3.destroy();
  return {
    bucket: LOCAL_BATCH_NAMES.bucket,
    queueUrl: main.url,
    queueArn: main.arn,
    deadLetterQueueUrl: dlq.url,
    notify(write) {
      const created = createdObject(write);
      if (
        !created ||
        created.bucket !== LOCAL_BATCH_NAMES.bucket ||
        !created.key.startsWith(BATCH_PREFIXES.inputs)
      )
        return;
      sqs
        .send(
          new SendMessageCommand({
            QueueUrl: main.url,
            MessageBody: s3ObjectCreatedEvent(created.bucket, created.key, 0),
          }),
        )
        .catch((err: unknown) =>
          log.error("could not notify the batch worker of an upload", {
            key: created.key,
            error: err as Error,
          }),
        );
    },
    stop: () => sqs.destroy(),
  };
}

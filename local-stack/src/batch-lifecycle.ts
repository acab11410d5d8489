/**
 * The batch bucket's lifecycle rules in the local stack: fauxqs stores a bucket's lifecycle configuration but
 * never expires anything. The stack puts the deployed rules (BATCH_LIFECYCLE_RULES, the ones infra configures) on
 * the bucket and applies their expirations on a timer, with S3's rounding (lifecycleExpiryTime). Not applied:
 * aborting incomplete multipart uploads (fauxqs 2.4.1 cannot list them over its API).
 */
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { BATCH_LIFECYCLE_RULES, lifecycleExpiryTime } from "@sml/contracts/batches";
import { log } from "./log";

/** Deletes what the rules have expired at `now`; answers the deleted keys. */
export async function applyBatchLifecycle(
  s3: S3Client,
  bucket: string,
  now: number = Date.now(),
): Promise<string[]> {
  const deleted: string[] = [];
  for (const rule of BATCH_LIFECYCLE_RULES) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: rule.prefix, ContinuationToken: token }),
      );
      const expired = (page.Contents ?? []).filter(
        (o) => o.Key && o.LastModified && lifecycleExpiryTime(o.LastModified, rule.expirationDays) <= now,
      );
      if (expired.length > 0) {
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: expired.map((o) => ({ Key: o.Key as string })), Quiet: true },
          }),
        );
        deleted.push(...expired.map((o) => o.Key as string));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return deleted;
}

export async function startBatchLifecycle(options: {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly intervalMs: number;
}): Promise<{ stop(): Promise<void> }> {
  const { s3, bucket } = options;
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: BATCH_LIFECYCLE_RULES.map((r) => ({
          ID: r.id,
          Status: "Enabled",
          Filter: { Prefix: r.prefix },
          Expiration: { Days: r.expirationDays },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: r.abortIncompleteUploadDays },
        })),
      },
    }),
  );
  let running: Promise<unknown> | undefined;
  const run = () => {
    running ??= applyBatchLifecycle(s3, bucket)
      .then((keys) => {
        if (keys.length > 0)
          log.info("batch bucket lifecycle expired objects", { bucket, objects: keys.length });
      })
      .catch((err: unknown) => log.error("batch bucket lifecycle failed", { error: err as Error }))
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

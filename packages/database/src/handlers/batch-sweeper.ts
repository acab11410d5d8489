/**
 * Lambda entry point of the batch sweeper, run by an EventBridge schedule every BATCH_SWEEP_INTERVAL_MINUTES:
 * fails the batches that can no longer end on their own (an upload never processed, a range past its retries),
 * with the reason, so every batch reaches `succeeded` or `failed` within the bounds of docs/batches.md. It logs in
 * as the batch functions' database user (sml_batch), which may update batches and nothing else, and lists the
 * batch bucket's `inputs/` to tell an upload still queued from one that never came (its only S3 permission).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { S3Client } from "@aws-sdk/client-s3";
import { BATCH_QUEUE_SETTINGS, type BatchSweepResult, batchSweepBounds } from "@sml/contracts/batches";
import { ENV, requireEnv } from "@sml/contracts/env";
import { FUNCTIONS } from "@sml/contracts/functions";
import { s3ObjectExists } from "../batch-inputs";
import { createSqlBatchSweeper } from "../batch-repository";
import { dbConfigFromEnv } from "../config";
import { createSqlExecutor } from "../index";

const logger = new Logger({ serviceName: FUNCTIONS["batch-sweeper"].serviceName });
const bucket = requireEnv(
  process.env[ENV.batchBucket],
  ENV.batchBucket,
  "the batch bucket, whose inputs/ it lists",
);
const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
const sweeper = createSqlBatchSweeper(createSqlExecutor(dbConfigFromEnv(), { logger }), {
  inputExists: s3ObjectExists(s3, bucket),
});
const bounds = batchSweepBounds(BATCH_QUEUE_SETTINGS);

export async function handler(): Promise<BatchSweepResult> {
  try {
    const swept = await sweeper.sweep(bounds);
    // One line per failed batch: the batch id is what an operator searches the logs for.
    for (const id of swept.pending)
      logger.warn("failed a batch whose upload never arrived", { batchId: id, bounds });
    for (const id of swept.running)
      logger.warn("failed a batch that stopped making progress", { batchId: id, bounds });
    // Uploaded but not yet picked up: the queue has a backlog (an operator's signal, not the uploader's fault).
    for (const id of swept.uploaded)
      logger.info("left a pending batch whose upload waits in the queue", { batchId: id, bounds });
    logger.info("batch sweep done", {
      pending: swept.pending.length,
      running: swept.running.length,
      uploaded: swept.uploaded.length,
    });
    return swept;
  } catch (err) {
    // Rethrown: the invocation fails, the function's error alarm fires, the next run tries again.
    logger.error("batch sweep failed", { error: err as Error });
    throw err;
  }
}

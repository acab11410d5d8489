/**
 * Lambda entry of the `batch-worker` function (the prediction image, command `batch-worker.handler`): S3 upload
 * notifications and range messages from its queue. Config is parsed and the models load at init.
 */
import { ENV, requireEnv } from "@sml/contracts/env";
import { createSqlBatchStore, createSqlExecutor, dbConfigFromEnv } from "@sml/database";
import { createS3BatchObjects } from "../batch/s3-objects";
import { createSqsRangeQueue } from "../batch/sqs-queue";
import { createBatchWorkerHandler, loadBatchConfig } from "../batch-function";
import { defaultModelDir } from "../prediction-function";

const config = loadBatchConfig();
const app = createBatchWorkerHandler({
  modelDir: defaultModelDir(),
  store: createSqlBatchStore(createSqlExecutor(dbConfigFromEnv())),
  objects: createS3BatchObjects({ bucket: config.bucket }),
  queue: createSqsRangeQueue(requireEnv(config.queueUrl, ENV.batchQueueUrl, "the worker queues ranges")),
});
app.catch((err: unknown) => console.error("batch worker init failed", err));

export const handler: Awaited<typeof app>["handler"] = async (event) => (await app).handler(event);

/**
 * Lambda entry of the `batches` function (the prediction image, command `batches.handler`): POST /batches and
 * GET /batches/{id}. Config is parsed and the models load at init.
 */
import { createSqlBatchStore, createSqlExecutor, dbConfigFromEnv } from "@sml/database";
import { createS3BatchObjects } from "../batch/s3-objects";
import { createBatchesHandler, loadBatchConfig } from "../batch-function";
import { defaultModelDir } from "../prediction-function";

const config = loadBatchConfig();
const app = createBatchesHandler({
  modelDir: defaultModelDir(),
  store: createSqlBatchStore(createSqlExecutor(dbConfigFromEnv())),
  objects: createS3BatchObjects({ bucket: config.bucket }),
});
app.catch((err: unknown) => console.error("batches init failed", err));

export const handler: Awaited<typeof app> = async (event) => (await app)(event);

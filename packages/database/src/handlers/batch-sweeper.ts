/**
 * Lambda entry point of the batch sweeper, run by an EventBridge schedule every BATCH_SWEEP_INTERVAL_MINUTES:
 * fails the batches that can no longer end on their own (an upload never processed, a range past its retries),
 * with the reason, so every batch reaches `succeeded` or `failed` within the bounds of docs/batches.md. It logs in
 * as the batch functions' database user (sml_batch), which may update batches and nothing else.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { BATCH_QUEUE_SETTINGS, batchSweepBounds } from "@sml/contracts/batches";
import { FUNCTIONS } from "@sml/contracts/functions";
import { createSqlBatchSweeper } from "../batch-repository";
import { dbConfigFromEnv } from "../config";
import { createSqlExecutor } from "../index";

const logger = new Logger({ serviceName: FUNCTIONS["batch-sweeper"].serviceName });
const sweeper = createSqlBatchSweeper(createSqlExecutor(dbConfigFromEnv(), { logger }));
const bounds = batchSweepBounds(BATCH_QUEUE_SETTINGS);

export async function handler(): Promise<{ pending: string[]; running: string[] }> {
  try {
    const swept = await sweeper.sweep(bounds);
    // One line per failed batch: the batch id is what an operator searches the logs for.
    for (const id of swept.pending)
      logger.warn("failed a batch whose upload never arrived", { batchId: id, bounds });
    for (const id of swept.running)
      logger.warn("failed a batch that stopped making progress", { batchId: id, bounds });
    logger.info("batch sweep done", { pending: swept.pending.length, running: swept.running.length });
    return swept;
  } catch (err) {
    // Rethrown: the invocation fails, the function's error alarm fires, the next run tries again.
    logger.error("batch sweep failed", { error: err as Error });
    throw err;
  }
}

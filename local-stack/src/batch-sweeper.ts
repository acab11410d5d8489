/**
 * The batch sweeper on a timer: what the EventBridge schedule runs in AWS (packages/database's batch-sweeper
 * handler), over the same store, with the local queue's bounds (a 60 s visibility timeout instead of 90 min).
 */
import type { BatchSweepBounds, BatchSweepResult, ObjectExists } from "@sml/contracts/batches";
import { createPgExecutor, createSqlBatchSweeper } from "@sml/database";
import { log } from "./log";

export interface LocalBatchSweeper {
  /** One sweep now (the timer's, or a test's); resolves with what it failed. */
  sweep(): Promise<BatchSweepResult>;
  stop(): Promise<void>;
}

export function startBatchSweeper(options: {
  readonly databaseUrl: string;
  readonly bounds: BatchSweepBounds;
  readonly intervalMs: number;
  /** The batch bucket's input lookup (through the local S3 front, as the deployed sweeper lists S3). */
  readonly inputExists: ObjectExists;
}): LocalBatchSweeper {
  const sql = createPgExecutor({ kind: "url", connectionString: options.databaseUrl });
  const sweeper = createSqlBatchSweeper(sql, { inputExists: options.inputExists });
  let running: Promise<BatchSweepResult> | undefined;
  const sweep = () => {
    // One sweep at a time, as the deployed function's reserved concurrency of 1 does.
    running ??= sweeper
      .sweep(options.bounds)
      .then((swept) => {
        for (const id of swept.pending)
          log.warn("failed a batch whose upload never arrived", { batchId: id, bounds: options.bounds });
        for (const id of swept.running)
          log.warn("failed a batch that stopped making progress", { batchId: id, bounds: options.bounds });
        for (const id of swept.uploaded)
          log.info("left a pending batch whose upload waits in the queue", { batchId: id });
        return swept;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    sweep().catch((err: unknown) => log.error("batch sweep failed", { error: err as Error }));
  }, options.intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
      await sql.close();
    },
  };
}

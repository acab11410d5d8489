/**
 * The batch worker's two jobs, both idempotent so SQS redeliveries and retries change nothing they should not:
 *
 * - An upload arrived (`inputs/<id>.<format>`): pin the upload the notification names (its ETag, and version in a
 *   versioned bucket), check its size, plan its ranges, record the plan with the pin (pending -> running, once) and
 *   queue one message per range, each carrying the pin. Every read of the input is pinned (If-Match): a second
 *   PUT to the upload URL fails the batch ("the input changed during scoring") instead of mixing two files, and
 *   a notification for an upload other than the pinned one fails it too instead of queueing ranges again.
 * - A range message: score the range, streamed, into its own object (a retry replaces that object, never adds
 *   to it), record its outcome (a retry overwrites its row), and, when it was the last open range, join the
 *   range objects in order into the result and mark the batch succeeded.
 *
 * A file that cannot be scored as a whole fails the batch with the reason; any other error is thrown, so SQS
 * delivers the message again (and, after the queue's maxReceiveCount, moves it to the dead-letter queue).
 */
import {
  BATCH_MAX_BYTES,
  type BatchFormat,
  type BatchStore,
  batchIdOfInputKey,
  batchKeys,
  CONTENT_TYPES,
  type RangeMessage,
} from "@sml/contracts/batches";
import type { FlightDelayModel } from "@sml/flight-model/model";
import { FileFormatError, InputChangedError } from "./errors";
import { planRanges } from "./plan";
import type { BatchObjects, RangeQueue } from "./ports";
import { quotedETag } from "./s3-objects";
import { scoreRange } from "./score-range";
import type { UploadNotice } from "./sqs-queue";

export interface WorkerLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface BatchWorkerDeps {
  readonly store: BatchStore;
  readonly objects: BatchObjects;
  readonly queue: RangeQueue;
  /** The model a batch names (`name@version`, fixed when the batch was created). */
  readonly model: (id: string) => FlightDelayModel;
  readonly logger: WorkerLogger;
  readonly maxBytes?: number;
  readonly rangeBytes?: number;
}

const sizeOf = (n: number) =>
  n < 1024 * 1024 ? `${n} bytes` : `${(n / 1024 / 1024).toFixed(1)} MiB (${n} bytes)`;

export class BatchWorker {
  constructor(private readonly deps: BatchWorkerDeps) {}

  /** S3 told the queue about a new object under inputs/. */
  async onUpload(upload: UploadNotice): Promise<void> {
    const { store, objects, logger } = this.deps;
    const { key } = upload;
    const ref = batchIdOfInputKey(key);
    if (!ref) {
      logger.warn("ignored an object that is not a batch input", { key });
      return;
    }
    const batch = await store.get(ref.id);
    if (!batch || batch.format !== ref.format) {
      logger.warn("ignored an upload for no batch", { key });
      return;
    }
    if (batch.status !== "pending" && batch.status !== "running") return;
    const maxBytes = this.deps.maxBytes ?? BATCH_MAX_BYTES;
    try {
      // The notification's upload, still in place; without an ETag (a test event), what is there now.
      const head = await objects.head(key, {
        ...(upload.eTag === undefined ? {} : { eTag: upload.eTag }),
        ...(upload.versionId === undefined ? {} : { versionId: upload.versionId }),
      });
      const pin = { eTag: head.eTag, ...(head.versionId === undefined ? {} : { versionId: head.versionId }) };
      const { size } = head;
      if (size > maxBytes) {
        throw new FileFormatError(
          `the file is ${sizeOf(size)}; a batch takes at most ${sizeOf(maxBytes)}; split it into several batches`,
        );
      }
      const plan = await planRanges({
        format: ref.format,
        size,
        read: () => objects.read(key, 0, size, pin),
        ...(this.deps.rangeBytes === undefined ? {} : { rangeBytes: this.deps.rangeBytes }),
      });
      if (!(await store.start(ref.id, plan.ranges, pin))) {
        // Not pending any more: a redelivery of the notification that planned it (the plan is deterministic, so
        // its messages are queued again unchanged, in case the first sending died half-way), or another upload's.
        const planned = await store.get(ref.id);
        if (planned?.status !== "running") return;
        if (planned.input !== undefined && quotedETag(planned.input.eTag) !== pin.eTag) {
          throw new InputChangedError(
            `${key} was uploaded again after the batch started: ETag ${quotedETag(planned.input.eTag)}, now ${pin.eTag}`,
          );
        }
      }
      await this.deps.queue.send(
        plan.ranges.map((r) => ({
          kind: "range",
          batchId: ref.id,
          format: ref.format,
          key,
          index: r.index,
          start: r.start,
          end: r.end,
          firstLine: r.firstLine,
          ...(r.index > 0 && plan.header !== undefined ? { header: plan.header } : {}),
          ...pin,
        })),
      );
      logger.info("batch planned", {
        batchId: ref.id,
        bytes: size,
        ranges: plan.ranges.length,
        eTag: pin.eTag,
      });
    } catch (err) {
      if (!(err instanceof FileFormatError)) throw err;
      await store.fail(ref.id, err.message);
      logger.info("batch failed", { batchId: ref.id, reason: err.message });
    }
  }

  /** Scores one range; the last range to finish joins the result. */
  async onRange(message: RangeMessage): Promise<void> {
    const { store, objects, logger } = this.deps;
    const batch = await store.get(message.batchId);
    if (batch?.status !== "running" || batch.ranges === undefined) return;
    const single = batch.ranges === 1;
    // One range writes the result itself; several write parts that the last one joins.
    const target = single
      ? batchKeys.result(batch.id, batch.format)
      : batchKeys.part(batch.id, message.index);
    const writer = objects.writer(target, CONTENT_TYPES[batch.format]);
    let outcome: Awaited<ReturnType<typeof scoreRange>>;
    try {
      outcome = await scoreRange(
        {
          model: this.deps.model(`${batch.model.name}@${batch.model.version}`),
          format: message.format,
          source: objects.read(message.key, message.start, message.end, {
            eTag: message.eTag,
            ...(message.versionId === undefined ? {} : { versionId: message.versionId }),
          }),
          start: message.start,
          firstLine: message.firstLine,
          ...(message.index > 0 ? { header: message.header ?? "" } : {}),
        },
        writer,
      );
      // Several ranges: the part must exist before the range counts as done (the last one joins them all). One
      // range: its result stays invisible until the store has recorded the range of a batch still running, so
      // a batch that failed meanwhile gets no result object; should complete() then fail, the range's retry
      // scores it again and overwrites its own row.
      if (!single) await writer.complete();
    } catch (err) {
      await writer.abort().catch(() => undefined);
      if (!(err instanceof FileFormatError)) throw err;
      await store.fail(batch.id, err.message);
      logger.info("batch failed", { batchId: batch.id, range: message.index, reason: err.message });
      return;
    }
    let completed: { open: number; running: boolean };
    try {
      completed = await store.completeRange(batch.id, message.index, outcome);
    } catch (err) {
      if (single) await writer.abort().catch(() => undefined);
      throw err;
    }
    const { open, running } = completed;
    if (!running) {
      // Another range, another upload or the sweeper failed the batch while this range was scored.
      if (single) await writer.abort().catch(() => undefined);
      logger.info("range of a failed batch not recorded", { batchId: batch.id, range: message.index });
      return;
    }
    if (single) {
      try {
        await writer.complete();
      } catch (err) {
        await writer.abort().catch(() => undefined);
        throw err;
      }
    }
    logger.info("range scored", { batchId: batch.id, range: message.index, ...rowsOf(outcome), open });
    if (open > 0) return;
    // Another range may have failed the batch (its input changed) while this one was scored.
    if ((await store.get(batch.id))?.status !== "running") return;
    if (!single) await this.join(batch.id, batch.format, batch.ranges);
    await store.succeed(batch.id);
    logger.info("batch succeeded", { batchId: batch.id, ranges: batch.ranges });
  }

  /** Copies the range objects, in order, into the result: streamed through one part's worth of memory. */
  private async join(id: string, format: BatchFormat, ranges: number): Promise<void> {
    const { objects } = this.deps;
    const writer = objects.writer(batchKeys.result(id, format), CONTENT_TYPES[format]);
    try {
      for (let index = 0; index < ranges; index++) {
        const key = batchKeys.part(id, index);
        const { size } = await objects.head(key);
        for await (const chunk of objects.read(key, 0, size)) {
          await writer.write(chunk);
        }
      }
      await writer.complete();
    } catch (err) {
      await writer.abort().catch(() => undefined);
      throw err;
    }
  }
}

const rowsOf = (o: { read: number; scored: number; rejected: number }) => ({
  read: o.read,
  scored: o.scored,
  rejected: o.rejected,
});

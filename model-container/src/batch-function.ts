/**
 * Composition roots of the two batch functions, both built from the prediction image (same model core, same
 * models, so a batch names models exactly as POST /predict does):
 *
 * - `batches` (API Gateway): POST /batches resolves the optional `"model"` with selectModel (the one POST
 *   /predict uses), records a pending batch owned by the caller (the token's `sub`) and presigns the upload;
 *   GET /batches lists the caller's batches (an admin may ask for everyone's); GET /batches/{id} reads one of the
 *   caller's batches and, when it succeeded, presigns the result. Another user's batch is answered 404, exactly
 *   as a missing one, and its result URL is never presigned (admins excepted). It serves HTTP, not the models' weights: loading the registry is how a
 *   name is resolved exactly as /predict resolves it.
 * - `batch-worker` (SQS): upload notifications and range messages, one record per invocation (BatchWorker).
 *
 * Lambda entries: src/handlers/batches.ts and src/handlers/batch-worker.ts; the local stack calls these factories.
 */
import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  BATCH_CREATE_MAX_BODY_BYTES,
  BATCH_MAX_BYTES,
  BATCH_OWNER_LIMITS,
  BATCH_RESULT_URL_SECONDS,
  BATCH_UPLOAD_URL_SECONDS,
  BatchIdSchema,
  type BatchPage,
  type BatchRecord,
  type BatchResponse,
  type BatchStore,
  type BatchSummary,
  batchKeys,
  CONTENT_TYPES,
  CreateBatchRequestSchema,
  type CreateBatchResponse,
  ListBatchesQuerySchema,
} from "@sml/contracts/batches";
import { ENV, parseEnv } from "@sml/contracts/env";
import { ForbiddenError, NotFoundError, parseWith } from "@sml/contracts/errors";
import { FUNCTIONS } from "@sml/contracts/functions";
import { type BackendName, DEFAULT_BACKENDS, initBackend } from "@sml/flight-model/backend";
import { ModelRegistry } from "@sml/flight-model/model-registry";
import {
  callerOf,
  dispatch,
  type HttpResponse,
  jsonResponse,
  queryParameters,
  type RouteHandlers,
  readJsonBody,
  toHttpResponse,
} from "@sml/lambda-http";
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent } from "aws-lambda";
import * as z from "zod";
import type { BatchObjects, RangeQueue } from "./batch/ports";
import { parseWorkerMessage } from "./batch/sqs-queue";
import { BatchWorker } from "./batch/worker";
import { selectModel } from "./prediction-function";

const BatchEnvSchema = z.object({
  [ENV.batchBucket]: z.string().min(3, "must name the batch bucket"),
  [ENV.batchQueueUrl]: z.string().url("must be the batch worker queue's URL").optional(),
});

export interface BatchConfig {
  readonly bucket: string;
  /** Only the worker sends to the queue. */
  readonly queueUrl?: string;
}

export function loadBatchConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): BatchConfig {
  const e = parseEnv(BatchEnvSchema, env, "batch");
  const queueUrl = e[ENV.batchQueueUrl];
  return { bucket: e[ENV.batchBucket], ...(queueUrl === undefined ? {} : { queueUrl }) };
}

export interface BatchAppOptions {
  readonly modelDir: string;
  readonly store: BatchStore;
  readonly objects: BatchObjects;
  readonly backends?: readonly BackendName[];
  readonly wasmDir?: string;
  readonly logger?: Logger;
  /** For tests: the instant the URLs' expiry is counted from. */
  readonly now?: () => Date;
}

export type BatchesHandler = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

async function loadRegistry(options: BatchAppOptions): Promise<ModelRegistry> {
  await initBackend(options.backends ?? DEFAULT_BACKENDS, options.wasmDir);
  return ModelRegistry.load(options.modelDir);
}

const expiry = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

/** A batch as GET /batches lists it (no result URL). */
export function batchSummary(batch: BatchRecord): BatchSummary {
  return {
    id: batch.id,
    status: batch.status,
    format: batch.format,
    rows: batch.rows,
    errors: [...batch.errors],
    ...(batch.failure === undefined ? {} : { failure: { message: batch.failure } }),
    model: batch.model,
    owner: batch.owner,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
}

/** GET /batches/{id}'s body for a batch record, with a fresh result URL when it succeeded. */
export async function batchResponse(
  batch: BatchRecord,
  objects: BatchObjects,
  now: Date,
): Promise<BatchResponse> {
  return {
    ...batchSummary(batch),
    ...(batch.status === "succeeded"
      ? {
          result: {
            // A download, never a page: the result holds the uploader's own text (docs/batches.md).
            url: await objects.presignGet(
              batchKeys.result(batch.id, batch.format),
              BATCH_RESULT_URL_SECONDS,
              `${batch.id}-result.${batch.format}`,
            ),
            expiresAt: expiry(now, BATCH_RESULT_URL_SECONDS),
          },
        }
      : {}),
  };
}

export async function createBatchesHandler(options: BatchAppOptions): Promise<BatchesHandler> {
  const logger = options.logger ?? new Logger({ serviceName: FUNCTIONS.batches.serviceName });
  const registry = await loadRegistry(options);
  const { store, objects } = options;
  const now = options.now ?? (() => new Date());

  const routes: RouteHandlers<"batches"> = {
    "POST /batches": async ({ event }) => {
      const caller = callerOf(event);
      // The body names the file's size (bytes); format and model default to CSV and the champion.
      const body = event.body ? readJsonBody(event, BATCH_CREATE_MAX_BODY_BYTES) : {};
      const selected = selectModel(registry, body);
      const request = parseWith(CreateBatchRequestSchema, selected.request);
      const id = randomUUID();
      const model = { name: selected.model.name, version: selected.model.version };
      // Within the caller's open-batch limits, or 429 QUOTA_EXCEEDED: one analyst cannot fill the shared queue.
      await store.create(
        { id, format: request.format, model, owner: caller.sub, bytes: request.bytes },
        BATCH_OWNER_LIMITS,
      );
      const contentType = CONTENT_TYPES[request.format];
      const created: CreateBatchResponse = {
        id,
        status: "pending",
        format: request.format,
        model,
        upload: {
          url: await objects.presignPut(
            batchKeys.input(id, request.format),
            contentType,
            request.bytes,
            BATCH_UPLOAD_URL_SECONDS,
          ),
          method: "PUT",
          // Signed into the URL: the upload must send exactly these (curl and fetch set content-length).
          headers: { "content-type": contentType, "content-length": String(request.bytes) },
          expiresAt: expiry(now(), BATCH_UPLOAD_URL_SECONDS),
        },
        maxBytes: BATCH_MAX_BYTES,
      };
      // The owner by `sub` only: the token's e-mail address (an ID token carries one) never reaches the logs.
      logger.info("batch created", { batchId: id, format: request.format, model, owner: caller.sub });
      return jsonResponse(201, created, { location: `/batches/${id}` });
    },
    "GET /batches": async ({ event }) => {
      const caller = callerOf(event);
      const query = parseWith(ListBatchesQuerySchema, queryParameters(event), "query string");
      if (query.scope === "all" && !caller.admin)
        throw new ForbiddenError("scope=all lists everyone's batches and is for the admins group only");
      if (query.scope === "all") logger.info("admin listed everyone's batches", { caller: caller.sub });
      const page = await store.list({
        ...(query.scope === "all" ? {} : { owner: caller.sub }),
        limit: query.limit,
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      const body: BatchPage = { items: page.items.map(batchSummary), nextCursor: page.nextCursor };
      return jsonResponse(200, body);
    },
    "GET /batches/{id}": async ({ event, pathParameters }) => {
      const caller = callerOf(event);
      const id = parseWith(BatchIdSchema, pathParameters.id, "path parameter id");
      const batch = await store.get(id);
      // Someone else's batch is answered exactly as a missing one: its id reveals nothing, not even that it exists.
      if (!batch || (batch.owner !== caller.sub && !caller.admin))
        throw new NotFoundError(`No batch with id ${id}`);
      // An admin reading someone else's batch (and getting its result URL) leaves an audit line: who read whose.
      if (batch.owner !== caller.sub)
        logger.info("admin read another user's batch", {
          batchId: id,
          owner: batch.owner,
          caller: caller.sub,
        });
      return jsonResponse(200, await batchResponse(batch, objects, now()));
    },
  };
  return async (event) => {
    try {
      return await dispatch("batches", routes, event);
    } catch (err) {
      return toHttpResponse(err, (unexpected) =>
        logger.error("batches failed", { error: unexpected as Error }),
      );
    }
  };
}

export type BatchWorkerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export async function createBatchWorkerHandler(
  options: BatchAppOptions & {
    readonly queue: RangeQueue;
    /** Smaller limits for tests (defaults: BATCH_MAX_BYTES, BATCH_RANGE_BYTES). */
    readonly limits?: { readonly maxBytes?: number; readonly rangeBytes?: number };
  },
): Promise<{ handler: BatchWorkerHandler; worker: BatchWorker }> {
  const logger = options.logger ?? new Logger({ serviceName: FUNCTIONS["batch-worker"].serviceName });
  const registry = await loadRegistry(options);
  const worker = new BatchWorker({
    store: options.store,
    objects: options.objects,
    queue: options.queue,
    model: (id) => registry.resolve(id),
    ...options.limits,
    logger: {
      info: (m, extra) => logger.info(m, extra ?? {}),
      warn: (m, extra) => logger.warn(m, extra ?? {}),
    },
  });
  const handler: BatchWorkerHandler = async (event) => {
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    for (const record of event.Records) {
      try {
        const message = parseWorkerMessage(record.body);
        if (message.kind === "upload") for (const upload of message.uploads) await worker.onUpload(upload);
        else if (message.kind === "range") await worker.onRange(message.range);
      } catch (err) {
        logger.error("batch message failed; SQS will deliver it again", {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          error: err as Error,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
  return { handler, worker };
}

/**
 * Batch predictions: the API's request and response bodies (zod schemas, the one definition the handlers, the
 * OpenAPI document and the tests read), the object key layout in the batch bucket (the infrastructure scopes IAM
 * and lifecycle rules to these prefixes, the worker and the local stack write under them), the limits, and the
 * messages the worker sends itself over its queue to fan a large file out.
 */
import * as z from "zod";
import { FUNCTIONS } from "./functions";
import type { MessagingSettings } from "./messaging";
import { ListUsersQuerySchema } from "./users";

export const BATCH_FORMATS = ["csv", "jsonl"] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];

export const BATCH_STATUSES = ["pending", "running", "succeeded", "failed"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * Largest file a batch takes. POST /batches refuses a larger declared size, and the presigned PUT signs the
 * declared size as its Content-Length, so S3 refuses any other upload (SigV4: a signed header must arrive with
 * the signed value); the worker still refuses a bigger object and fails the batch.
 */
export const BATCH_MAX_BYTES = 1024 * 1024 * 1024;
/**
 * Per-owner limits on open batches (pending or running), so one analyst cannot fill the shared worker queue:
 * POST /batches answers 429 QUOTA_EXCEEDED past either one (docs/batches.md, "Limits and fairness"). The bytes are
 * the sizes declared at creation; two files of the largest size fit.
 */
export const BATCH_OWNER_MAX_OPEN_BATCHES = 10;
export const BATCH_OWNER_MAX_OPEN_BYTES = 2 * BATCH_MAX_BYTES;

/** What one owner has open, and the limits a new batch must stay within. */
export interface OwnerOpenBatches {
  readonly batches: number;
  readonly bytes: number;
}
export interface BatchOwnerLimits {
  readonly maxOpenBatches: number;
  readonly maxOpenBytes: number;
}
export const BATCH_OWNER_LIMITS: BatchOwnerLimits = Object.freeze({
  maxOpenBatches: BATCH_OWNER_MAX_OPEN_BATCHES,
  maxOpenBytes: BATCH_OWNER_MAX_OPEN_BYTES,
});

/** Why POST /batches refused a new batch of `bytes` (QuotaExceededError's message). */
export function batchQuotaMessage(open: OwnerOpenBatches, bytes: number, limits: BatchOwnerLimits): string {
  const mib = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;
  const which =
    open.batches >= limits.maxOpenBatches
      ? `you have ${open.batches} open batches (pending or running); at most ${limits.maxOpenBatches} may be open at once`
      : `your open batches declare ${mib(open.bytes)} and this one ${mib(bytes)}; at most ${mib(limits.maxOpenBytes)} may be open at once`;
  return `${which}. Wait for one to succeed or fail (GET /batches), then create this one again`;
}

/** How long the presigned upload and result URLs are valid. */
export const BATCH_UPLOAD_URL_SECONDS = 15 * 60;
export const BATCH_RESULT_URL_SECONDS = 60 * 60;
/** Rejected rows a batch lists (the rest are counted). */
export const BATCH_MAX_LISTED_ERRORS = 100;
/**
 * Bytes of input one worker invocation scores. At the measured worker rate (docs/batches.md) this is well
 * inside the worker's timeout; a file above it is split into ranges of about this size, on line boundaries.
 * Above S3's 5 MiB minimum part size, so range results can be joined with UploadPartCopy.
 */
export const BATCH_RANGE_BYTES = 64 * 1024 * 1024;
/** Rows validated and scored per model call: /predict's own limit (MAX_INSTANCES), so a chunk is one request. */
export const BATCH_CHUNK_ROWS = 1000;
/** Concurrent instances of the `batches` HTTP function: each holds a database connection (the budget counts it). */
export const BATCHES_RESERVED_CONCURRENCY = 5;
/** Days S3 keeps results (the bucket's lifecycle rule; a result URL cannot outlive its object). */
export const BATCH_OBJECT_EXPIRY_DAYS = 7;
/**
 * Days S3 keeps uploaded inputs: the worker reads an input within minutes of its upload, so an upload (at most
 * BATCH_MAX_BYTES) costs at most a day of storage, whatever happens to its batch (S3's shortest expiration).
 */
export const BATCH_INPUT_EXPIRY_DAYS = 1;

/** The CSV columns (JSON Lines fields) the model reads; every other one is carried over unchanged. */
export const BATCH_INPUT_FIELDS = ["origin", "destination", "departure", "distance"] as const;
export const BATCH_REQUIRED_FIELDS = ["origin", "destination", "departure"] as const;
/** The columns (fields) the result adds to each row. */
export const BATCH_OUTPUT_FIELDS = ["delayProbability", "delayed"] as const;

/**
 * Object keys in the batch bucket. Uploads land under `inputs/` (the bucket notifies the worker's queue of those
 * only); the worker writes range results under `parts/` and the joined result under `results/`.
 */
export const BATCH_PREFIXES = { inputs: "inputs/", parts: "parts/", results: "results/" } as const;
export const batchKeys = {
  input: (id: string, format: BatchFormat) => `${BATCH_PREFIXES.inputs}${id}.${format}`,
  part: (id: string, index: number) => `${BATCH_PREFIXES.parts}${id}/${String(index).padStart(6, "0")}`,
  result: (id: string, format: BatchFormat) => `${BATCH_PREFIXES.results}${id}.${format}`,
} as const;
/** The batch id of an input key, or undefined when the key is not one. */
export function batchIdOfInputKey(key: string): { id: string; format: BatchFormat } | undefined {
  const match = /^inputs\/([0-9a-f-]{36})\.(csv|jsonl)$/.exec(key);
  return match ? { id: match[1] as string, format: match[2] as BatchFormat } : undefined;
}

/** Days S3 keeps range results (parts/): the worker joins them within minutes; a day leaves room to look. */
export const BATCH_PART_EXPIRY_DAYS = 1;
/** Days before S3 removes the parts of a multipart upload nobody completed (a worker that died mid-range). */
export const BATCH_ABORT_INCOMPLETE_UPLOAD_DAYS = 1;

/** One lifecycle rule of the batch bucket: objects under `prefix` expire `expirationDays` after creation. */
export interface BatchLifecycleRule {
  readonly id: string;
  readonly prefix: string;
  readonly expirationDays: number;
  readonly abortIncompleteUploadDays: number;
}

/** The batch bucket's lifecycle rules: the infrastructure configures them on S3, the local stack applies them. */
export const BATCH_LIFECYCLE_RULES: readonly BatchLifecycleRule[] = Object.freeze([
  // Inputs are read within minutes of their upload: kept a day, so an upload costs at most a day of storage.
  ...(
    [
      [BATCH_PREFIXES.inputs, BATCH_INPUT_EXPIRY_DAYS],
      [BATCH_PREFIXES.results, BATCH_OBJECT_EXPIRY_DAYS],
    ] as const
  ).map(([prefix, days]) => ({
    id: `expire-${prefix.replace("/", "")}`,
    prefix,
    expirationDays: days,
    abortIncompleteUploadDays: BATCH_ABORT_INCOMPLETE_UPLOAD_DAYS,
  })),
  {
    id: "expire-parts",
    prefix: BATCH_PREFIXES.parts,
    expirationDays: BATCH_PART_EXPIRY_DAYS,
    abortIncompleteUploadDays: BATCH_ABORT_INCOMPLETE_UPLOAD_DAYS,
  },
]);

/**
 * When S3 expires an object: "adding the number of days specified in the rule to the object creation time and
 * rounding the resulting time up to midnight UTC of the next day" (S3 user guide, "Setting lifecycle
 * configuration on a bucket" / "Lifecycle rules: based on an object's age").
 */
export function lifecycleExpiryTime(created: Date, days: number): number {
  const due = created.getTime() + days * 86_400_000;
  const midnight = new Date(due);
  midnight.setUTCHours(0, 0, 0, 0);
  return midnight.getTime() === due ? due : midnight.getTime() + 86_400_000;
}

/**
 * The batch bucket's CORS rule (S3 user guide, "Using cross-origin resource sharing"): the site, on its own
 * origin, PUTs the file to the presigned upload URL (a preflighted request: PUT with a content type) and reads a
 * result to compare models. Allowed origins are the site's (the distribution's domain; the local stack's own).
 */
export const BATCH_BUCKET_CORS = Object.freeze({
  allowedMethods: ["PUT", "GET", "HEAD"],
  allowedHeaders: ["content-type"],
  exposeHeaders: ["etag"],
  maxAgeSeconds: 3600,
});

export const CONTENT_TYPES: Record<BatchFormat, string> = {
  csv: "text/csv",
  jsonl: "application/x-ndjson",
};

/**
 * The worker's queue and its event source mapping (infrastructure and local stack). One record per invocation:
 * a range takes minutes. The visibility timeout is six times the worker's timeout, as the Lambda developer guide
 * advises for SQS event sources ("Using Lambda with Amazon SQS"), so a range is never delivered twice at once.
 */
export const BATCH_QUEUE_SETTINGS: MessagingSettings = Object.freeze({
  subscriberTimeoutSeconds: FUNCTIONS["batch-worker"].timeoutSeconds,
  visibilityTimeoutSeconds: FUNCTIONS["batch-worker"].timeoutSeconds * 6,
  maxReceiveCount: 3,
  batchSize: 1,
  maximumBatchingWindowSeconds: 0,
  // Ranges scored at once: the fan-out's width, and the bound on the worker's database connections.
  maximumConcurrency: 10,
  messageRetentionSeconds: 4 * 24 * 3600,
  deadLetterRetentionSeconds: 14 * 24 * 3600,
});

// ---- Sweeper: every batch ends ---------------------------------------------------------------------------------

/**
 * Slack on each sweep bound: an upload that started just before its URL expired (S3 checks the expiry when the
 * request starts, not when it ends), clock skew, the notification's delivery, the sweep's own period.
 */
export const BATCH_SWEEP_MARGIN_SECONDS = 15 * 60;
/** How often the sweeper runs (an EventBridge schedule in AWS, a timer in the local stack). */
export const BATCH_SWEEP_INTERVAL_MINUTES = 5;

export interface BatchSweepBounds {
  /**
   * A batch still `pending` this long after its creation, with no input object, never had its upload; one whose
   * input exists waits in the queue and is left pending (BatchSweepResult.uploaded).
   */
  readonly pendingSeconds: number;
  /**
   * A batch `running` without progress (no range finished) this long has a range that will not finish: each
   * range message is tried `maxReceiveCount` times a visibility timeout apart, then goes to the dead-letter queue.
   */
  readonly runningIdleSeconds: number;
}

/**
 * The bounds within which every batch reaches `succeeded` or `failed` (docs/batches.md, "Every batch ends"):
 * pending beyond the upload URL's validity plus the margin, running beyond every try of a range plus the margin.
 * The running bound assumes the queue's backlog is shorter than it (see the doc).
 */
export function batchSweepBounds(queue: MessagingSettings = BATCH_QUEUE_SETTINGS): BatchSweepBounds {
  return {
    pendingSeconds: BATCH_UPLOAD_URL_SECONDS + BATCH_SWEEP_MARGIN_SECONDS,
    runningIdleSeconds: queue.visibilityTimeoutSeconds * queue.maxReceiveCount + BATCH_SWEEP_MARGIN_SECONDS,
  };
}

const minutes = (seconds: number) =>
  seconds < 120 ? `${seconds} seconds` : `${Math.round(seconds / 60)} minutes`;

/** The failure a swept batch reports (GET /batches/{id} `failure.message`). */
export const batchSweepFailure = {
  pending: (bounds: BatchSweepBounds) =>
    `no upload was processed within ${minutes(bounds.pendingSeconds)} of the batch's creation (the upload URL is ` +
    `valid ${minutes(BATCH_UPLOAD_URL_SECONDS)}); create a new batch and upload the file again`,
  running: (bounds: BatchSweepBounds) =>
    `the batch made no progress for ${minutes(bounds.runningIdleSeconds)} (a range failed every try or its ` +
    "worker stopped); create a new batch to score the file again",
} as const;

/**
 * Whether an object exists in the batch bucket (the sweeper asks about a pending batch's input key). The sweeper
 * lists `inputs/<id>.<format>` (ListObjectsV2 with that prefix), the one S3 read its role allows.
 */
export type ObjectExists = (key: string) => Promise<boolean>;

export interface BatchSweepResult {
  /** Pending past the bound with no input object: never uploaded (or the upload expired); failed. */
  readonly pending: string[];
  /** Running without progress past the bound; failed. */
  readonly running: string[];
  /**
   * Pending past the bound but uploaded: its notification is still waiting in the shared queue (a backlog), so it
   * is left pending. Once S3 expires the input (BATCH_INPUT_EXPIRY_DAYS) a later sweep fails it.
   */
  readonly uploaded: string[];
}

/** Fails the batches that can no longer end on their own (packages/database implements it over SQL). */
export interface BatchSweeper {
  sweep(bounds: BatchSweepBounds): Promise<BatchSweepResult>;
}

// ---- HTTP bodies --------------------------------------------------------------------------------------------

/** POST /batches reads at most this much JSON (`{"format", "model"}`). */
export const BATCH_CREATE_MAX_BODY_BYTES = 4 * 1024;

export const CreateBatchRequestSchema = z.strictObject({
  format: z.enum(BATCH_FORMATS).default("csv"),
  /**
   * Size of the file to upload, in bytes (`stat -c %s f.csv`): signed into the upload URL as its
   * Content-Length, so the upload must be exactly this size, at most BATCH_MAX_BYTES.
   */
  bytes: z
    .number({ message: "bytes: the size of the file to upload is required (a whole number of bytes)" })
    .int()
    .min(1)
    .max(BATCH_MAX_BYTES, { message: `bytes: a batch takes at most ${BATCH_MAX_BYTES} bytes` }),
  /** `<name>@<version>` as in POST /predict (GET /models lists them); the champion when absent. */
  model: z.string().optional(),
});
export type CreateBatchRequest = z.input<typeof CreateBatchRequestSchema>;

export const BatchIdSchema = z.uuid({ message: "must be a batch id (a UUID)" });

const ModelRefSchema = z.object({ name: z.string(), version: z.string() });

export const CreateBatchResponseSchema = z.object({
  id: z.uuid(),
  status: z.literal("pending"),
  format: z.enum(BATCH_FORMATS),
  model: ModelRefSchema,
  upload: z.object({
    url: z.url(),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.iso.datetime(),
  }),
  maxBytes: z.number().int().positive(),
});
export type CreateBatchResponse = z.infer<typeof CreateBatchResponseSchema>;

export const BatchRowErrorSchema = z.object({ line: z.number().int().positive(), message: z.string() });
export type BatchRowError = z.infer<typeof BatchRowErrorSchema>;

export const BatchResponseSchema = z.object({
  id: z.uuid(),
  status: z.enum(BATCH_STATUSES),
  format: z.enum(BATCH_FORMATS),
  rows: z.object({
    read: z.number().int().nonnegative(),
    scored: z.number().int().nonnegative(),
    rejected: z.number().int().nonnegative(),
  }),
  /** The first BATCH_MAX_LISTED_ERRORS rejected rows, by line. */
  errors: z.array(BatchRowErrorSchema),
  /** Why the whole file was refused (status `failed`): not the declared format, empty, too large. */
  failure: z.object({ message: z.string() }).optional(),
  result: z.object({ url: z.url(), expiresAt: z.iso.datetime() }).optional(),
  model: ModelRefSchema,
  /** The `sub` of the token that created it (never an e-mail address). */
  owner: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type BatchResponse = z.infer<typeof BatchResponseSchema>;

/** GET /batches: whose batches. `all` is for the `admins` group; anyone else is answered 403. */
export const BATCH_LIST_SCOPES = ["mine", "all"] as const;
export type BatchListScope = (typeof BATCH_LIST_SCOPES)[number];

/** GET /batches query string: the page size and cursor of GET /users, and the scope. */
export const ListBatchesQuerySchema = ListUsersQuerySchema.extend({
  scope: z
    .enum(BATCH_LIST_SCOPES)
    .default("mine")
    .meta({ description: "`mine` (default): the caller's batches; `all`: everyone's (admins only)." }),
});
export type ListBatchesQuery = z.output<typeof ListBatchesQuerySchema>;

/** A batch in a list: GET /batches/{id}'s body without the result URL (issued one batch at a time). */
export const BatchSummarySchema = BatchResponseSchema.omit({ result: true }).meta({ title: "BatchSummary" });
export type BatchSummary = z.infer<typeof BatchSummarySchema>;

/** GET /batches: one page of batches, newest first. */
export const BatchPageSchema = z
  .object({
    items: z.array(BatchSummarySchema),
    /** Opaque keyset cursor for the next page, or null on the last page. */
    nextCursor: z.string().nullable(),
  })
  .meta({ title: "BatchPage" });
export type BatchPage = z.infer<typeof BatchPageSchema>;

// ---- State (the database's batch store speaks this) ------------------------------------------------------------

export interface BatchRecord {
  readonly id: string;
  readonly format: BatchFormat;
  readonly status: BatchStatus;
  readonly model: { readonly name: string; readonly version: string };
  /** The creator's token `sub`; batches created before owners existed have none (`""`): only admins see them. */
  readonly owner: string;
  readonly rows: { readonly read: number; readonly scored: number; readonly rejected: number };
  readonly errors: readonly BatchRowError[];
  readonly failure?: string;
  /** Ranges the file was split into (once planned). */
  readonly ranges?: number;
  /** The uploaded object the batch scores (once planned): every read of the input is pinned to it. */
  readonly input?: InputPin;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Which upload of the input a batch scores: its ETag (as S3 sends it in headers, quoted) and, in a versioned
 * bucket, its version. A second PUT to the same upload URL makes another object; reads pinned to the first one
 * fail instead of mixing the two (S3 answers 412 PreconditionFailed to an If-Match that no longer holds).
 */
export interface InputPin {
  readonly eTag: string;
  readonly versionId?: string;
}

/** One range of the input: bytes [start, end) holding whole records, the first starting on line `firstLine`. */
export interface BatchRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly firstLine: number;
}

export interface RangeOutcome {
  readonly read: number;
  readonly scored: number;
  readonly rejected: number;
  /** At most BATCH_MAX_LISTED_ERRORS, by line. */
  readonly errors: readonly BatchRowError[];
}

/** The batch state the functions read and write (packages/database implements it over SQL). */
export interface BatchStore {
  /**
   * Records a pending batch. With `limits`, only while the owner's open batches stay within them (checked and
   * inserted in one statement); otherwise throws QuotaExceededError and records nothing.
   */
  create(
    batch: {
      id: string;
      format: BatchFormat;
      model: { name: string; version: string };
      owner: string;
      /** The size declared at creation (POST /batches `bytes`). */
      bytes: number;
    },
    limits?: BatchOwnerLimits,
  ): Promise<BatchRecord>;
  /** What `owner` has open (pending or running): how many batches, and their declared bytes. */
  openBatches(owner: string): Promise<OwnerOpenBatches>;
  get(id: string): Promise<BatchRecord | undefined>;
  /**
   * Newest first, keyset-paged; only `owner`'s batches when given, everyone's when not. Throws
   * InvalidCursorError (naming `cursor`) for a cursor it did not issue.
   */
  list(params: {
    readonly owner?: string;
    readonly limit: number;
    readonly cursor?: string;
  }): Promise<{ items: BatchRecord[]; nextCursor: string | null }>;
  /**
   * Records the plan and the input it was made from, and moves a pending batch to running; false when it was not
   * pending (a redelivery, or another upload's notification).
   */
  start(id: string, ranges: readonly BatchRange[], input: InputPin): Promise<boolean>;
  /** The planned ranges (their header text, for CSV ranges after the first, travels in the range message). */
  ranges(id: string): Promise<BatchRange[]>;
  /**
   * Records a range's outcome (a retry overwrites its own row, never adds) and answers how many ranges are
   * still open. Only while the batch is running: otherwise (it failed) nothing is recorded and `running` is
   * false, so a failed batch keeps the counts it failed with.
   */
  completeRange(
    id: string,
    index: number,
    outcome: RangeOutcome,
  ): Promise<{ open: number; running: boolean }>;
  succeed(id: string): Promise<void>;
  fail(id: string, message: string): Promise<void>;
}

// ---- Worker messages -------------------------------------------------------------------------------------------

/** A range the planner queued for a worker; `header` is the CSV header line (ranges after the first lack it). */
export const RangeMessageSchema = z.strictObject({
  kind: z.literal("range"),
  batchId: z.uuid(),
  format: z.enum(BATCH_FORMATS),
  key: z.string(),
  index: z.number().int().nonnegative(),
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
  firstLine: z.number().int().positive(),
  header: z.string().optional(),
  /** The upload the plan was made from (InputPin); every read of the range is pinned to it. */
  eTag: z.string().min(1),
  versionId: z.string().min(1).optional(),
});
export type RangeMessage = z.infer<typeof RangeMessageSchema>;

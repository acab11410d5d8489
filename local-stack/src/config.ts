/**
 * The local stack's own settings, read from the environment once at start. Everything has a default so that
 * `npm start` works on a fresh clone; the overrides exist for tests, benchmarks and people with their own
 * PostgreSQL.
 */
import { resolve } from "node:path";
import { type BatchSweepBounds, batchSweepBounds } from "@sml/contracts/batches";
import { parseEnv } from "@sml/contracts/env";
import { DEFAULT_MESSAGING_SETTINGS, type MessagingSettings } from "@sml/contracts/messaging";
import { z } from "zod";
import { LOCAL_BATCH_QUEUE_SETTINGS } from "./batches";
import { QUEUE_STORAGE, type QueueStorage } from "./messaging";

const repoRoot = resolve(__dirname, "../..");
/** Beside the bundle start.mjs keeps (node_modules is per checkout and never committed). */
const DEFAULT_CACHE_DIR = "node_modules/.cache/sml-local-stack";

const port = () =>
  z.coerce
    .number({ error: "must be a port number" })
    .int()
    .min(0, "must be 0..65535")
    .max(65535, "must be 0..65535");

const seconds = () => z.coerce.number({ error: "must be a number of seconds" }).int().min(0).optional();

const EnvSchema = z.object({
  PORT: port().default(3000),
  /** fauxqs port; 0 picks a free one. */
  LOCAL_AWS_PORT: port().default(0),
  /** Folder for stack.json and the embedded database; relative paths are relative to the repository root. */
  LOCAL_DIR: z.string().min(1).default(".local"),
  /** What starts reuse (the migrated PGlite template); relative paths are relative to the repository root. */
  LOCAL_CACHE_DIR: z.string().min(1).default(DEFAULT_CACHE_DIR),
  DATABASE_URL: z
    .string()
    // One check, one message: the shape and whether pg's WHATWG URL parser accepts it (pg would otherwise fail
    // later with a bare "Invalid URL" that names nothing).
    .refine(
      (url) => /^postgres(ql)?:\/\/\S+$/.test(url) && URL.canParse(url),
      "must be a postgres:// URL that parses (unset or empty: the embedded database)",
    )
    .optional(),
  AWS_REGION: z.string().min(1).default("us-east-1"),
  /** Test knobs: AWS waits minutes between retries; the poison-message tests cannot. */
  LOCAL_VISIBILITY_TIMEOUT_SECONDS: seconds(),
  LOCAL_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).optional(),
  /**
   * The batch sweeper: how often it runs (default 60 s) and, as test knobs, its bounds (default: the deployed
   * rules over the local batch queue, batchSweepBounds(LOCAL_BATCH_QUEUE_SETTINGS)).
   */
  LOCAL_BATCH_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  LOCAL_BATCH_PENDING_SECONDS: seconds(),
  LOCAL_BATCH_RUNNING_IDLE_SECONDS: seconds(),
  /** The queues' storage and fsync policy (see QUEUE_STORAGE); `memory` exists for the bench. */
  LOCAL_QUEUE_STORAGE: z
    .enum(QUEUE_STORAGE, { error: `LOCAL_QUEUE_STORAGE must be one of ${QUEUE_STORAGE.join(", ")}` })
    .default("disk"),
});

export interface LocalStackConfig {
  readonly repoRoot: string;
  readonly port: number;
  readonly awsPort: number;
  readonly localDir: string;
  /** The PGlite template a new data folder is copied from (pglite-template.ts). */
  readonly cacheDir: string;
  /** Set: use this PostgreSQL. Unset: embedded PGlite under `${localDir}/pgdata`. */
  readonly databaseUrl?: string;
  readonly region: string;
  readonly messaging: MessagingSettings;
  /** SNS/SQS state: `${localDir}/queues/fauxqs.db` unless `memory`. */
  readonly queueStorage: QueueStorage;
  readonly batchSweep: { readonly intervalMs: number; readonly bounds: BatchSweepBounds };
}

/**
 * A variable set to the empty string counts as unset (`DATABASE_URL= npm start` is the embedded database), as in
 * most tools; shells and CI systems often export empty values.
 */
function withoutEmptyValues(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LocalStackConfig {
  const e = parseEnv(EnvSchema, withoutEmptyValues(env), "local stack");
  return Object.freeze({
    repoRoot,
    port: e.PORT,
    awsPort: e.LOCAL_AWS_PORT,
    localDir: resolve(repoRoot, e.LOCAL_DIR),
    cacheDir: resolve(repoRoot, e.LOCAL_CACHE_DIR),
    ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    region: e.AWS_REGION,
    queueStorage: e.LOCAL_QUEUE_STORAGE,
    batchSweep: Object.freeze({
      intervalMs: e.LOCAL_BATCH_SWEEP_INTERVAL_SECONDS * 1000,
      bounds: Object.freeze({
        ...batchSweepBounds(LOCAL_BATCH_QUEUE_SETTINGS),
        ...(e.LOCAL_BATCH_PENDING_SECONDS === undefined
          ? {}
          : { pendingSeconds: e.LOCAL_BATCH_PENDING_SECONDS }),
        ...(e.LOCAL_BATCH_RUNNING_IDLE_SECONDS === undefined
          ? {}
          : { runningIdleSeconds: e.LOCAL_BATCH_RUNNING_IDLE_SECONDS }),
      }),
    }),
    messaging: Object.freeze({
      ...DEFAULT_MESSAGING_SETTINGS,
      ...(e.LOCAL_VISIBILITY_TIMEOUT_SECONDS === undefined
        ? {}
        : { visibilityTimeoutSeconds: e.LOCAL_VISIBILITY_TIMEOUT_SECONDS }),
      ...(e.LOCAL_MAX_RECEIVE_COUNT === undefined ? {} : { maxReceiveCount: e.LOCAL_MAX_RECEIVE_COUNT }),
    }),
  });
}

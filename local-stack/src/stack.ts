/**
 * The whole system on one machine: database, SNS/SQS, the subscriber's event source mapping and the HTTP API,
 * wired as the infrastructure wires them in AWS. `main.ts` runs it for `npm start`; benchmarks start it too.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { s3ObjectExists } from "@sml/database/batch-inputs";
import { buildSite } from "@sml/site/build";
import { type LocalApiGateway, startApiGateway } from "./api-gateway";
import { startBatchLifecycle } from "./batch-lifecycle";
import { type LocalBatchSweeper, startBatchSweeper } from "./batch-sweeper";
import { LOCAL_BATCH_NAMES, LOCAL_BATCH_QUEUE_SETTINGS, type LocalBatches, startBatches } from "./batches";
import type { LocalStackConfig } from "./config";
import { externalDatabase, type LocalDatabase, startEmbeddedDatabase } from "./database";
import { EventSourceMapping } from "./event-source-mapping";
import { createFrontDoor } from "./front-door";
import { functionEnvironment, loadFunctions, localIdentity } from "./functions";
import { createLocalIssuer, type LocalIssuer } from "./local-auth";
import { assertPortFree, lockLocalDir } from "./local-dir";
import { log } from "./log";
import {
  awsClientConfig,
  LOCAL_AWS_CREDENTIALS,
  type LocalMessaging,
  type PendingMessages,
  startMessaging,
} from "./messaging";
import { migrate } from "./migrate";
import { newS3FrontToken, startS3Front } from "./s3-front";

/** What `.local/stack.json` holds, for the AWS CLI, psql and scripts. */
export interface StackDescription {
  readonly apiUrl: string;
  readonly awsEndpoint: string;
  /** S3 (the batch bucket): the verifying front before fauxqs's S3, which refuses calls that bypass it. */
  readonly s3Endpoint: string;
  readonly region: string;
  readonly topicArn: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly databaseUrl: string;
  /** Batch predictions: the bucket (fauxqs S3, path style) and the worker's queues. */
  readonly batchBucket: string;
  readonly batchQueueUrl: string;
  readonly batchDlqUrl: string;
  /** The local sign-in: the JWT issuer the gateway's authorizer trusts (`npm run token` signs for it). */
  readonly authIssuer: string;
}

export interface RunningStack {
  readonly description: StackDescription;
  readonly database: LocalDatabase;
  readonly mapping: EventSourceMapping;
  readonly batchMapping: EventSourceMapping;
  /** Stops in the order that loses nothing; resolves within `budgetMs` (the caller exits afterwards). */
  stop(budgetMs?: number): Promise<void>;
}

export const STACK_FILE = "stack.json";
/** Loopback only: nothing here is meant for the network. */
const API_HOST = "127.0.0.1";
/**
 * Messages that versions before the durable queue saved at shutdown; one left behind is queued once at the next
 * start and removed. Nothing writes it any more: the queues themselves are on disk (QUEUES_DIR).
 */
export const PENDING_MESSAGES_FILE = "pending-messages.json";
/** The site as this stack serves it (built at start, inside the local folder: two stacks never share one). */
export const SITE_DIR = "site";
/** fauxqs's SQLite data folder, inside the local folder (locked against a second stack with it). */
export const QUEUES_DIR = "queues";
/** How often the batch bucket's lifecycle rules run (S3 itself applies them about once a day). */
const LIFECYCLE_INTERVAL_MS = 10 * 60 * 1000;

/** Ctrl-C must finish well inside 10 s. */
export const DEFAULT_STOP_BUDGET_MS = 8_000;

export async function startStack(config: LocalStackConfig): Promise<RunningStack> {
  mkdirSync(config.localDir, { recursive: true });
  await assertPortFree(API_HOST, config.port);
  const unlock = lockLocalDir(config.localDir);
  const cleanups: (() => Promise<void>)[] = [async () => unlock()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  // The database, the site build and fauxqs start side by side (issue 29: one after the other they were most of
  // a start); each one's cleanup is registered as soon as it exists, so a failure anywhere stops them all.
  const started = performance.now();
  const phases: Record<string, number> = {};
  const timed = <T>(phase: string, work: Promise<T>): Promise<T> =>
    work.then((value) => {
      phases[phase] = Math.round(performance.now() - started);
      return value;
    });
  const databaseStarted = timed(
    "databaseListening",
    config.databaseUrl
      ? Promise.resolve(externalDatabase(config.databaseUrl))
      : startEmbeddedDatabase(join(config.localDir, "pgdata"), config.cacheDir),
  ).then((database) => {
    cleanups.push(() => database.stop());
    return database;
  });
  // The page this stack serves, built from site/ into its own folder (esbuild, in its own process): the same files
  // the deploy publishes, never a copy another stack is rewriting.
  const siteBuilt = timed("site", buildSite(join(config.localDir, SITE_DIR)));
  // Awaited further down; until then a failure must not count as an unhandled rejection.
  for (const starting of [databaseStarted, siteBuilt]) starting.catch(() => undefined);
  try {
    // Uploads reach the batch pipeline once it exists; fauxqs must know the hook before it listens.
    let batches: LocalBatches | undefined;
    // The site's origin (the gateway's URL), known once it listens: the only origin the bucket's CORS allows.
    let siteOrigin: string | undefined;
    // Every S3 call goes through the verifying front (s3-front.ts); fauxqs refuses S3 calls without its token.
    const s3FrontToken = newS3FrontToken();
    const messaging = await timed(
      "messaging",
      startMessaging({
        s3FrontToken,
        s3Cors: { bucket: LOCAL_BATCH_NAMES.bucket, origins: () => (siteOrigin ? [siteOrigin] : []) },
        port: config.awsPort,
        region: config.region,
        settings: config.messaging,
        storage: config.queueStorage,
        dataDir: join(config.localDir, QUEUES_DIR),
        onResponse: (write) => batches?.notify(write),
      }),
    );
    cleanups.push(() => messaging.stop());
    const s3Front = await startS3Front({
      upstream: messaging.endpoint,
      token: s3FrontToken,
      region: config.region,
      secrets: { [LOCAL_AWS_CREDENTIALS.accessKeyId]: LOCAL_AWS_CREDENTIALS.secretAccessKey },
    });
    cleanups.push(() => s3Front.stop());
    batches = await startBatches(messaging.endpoint, config.region, s3Front.endpoint);
    const batchPipeline = batches;
    cleanups.push(async () => batchPipeline.stop());
    // The deployed bucket's lifecycle rules, applied here (fauxqs stores them but expires nothing).
    const s3 = new S3Client({ ...awsClientConfig(s3Front.endpoint, config.region), forcePathStyle: true });
    cleanups.push(async () => s3.destroy());
    const lifecycle = await startBatchLifecycle({
      s3,
      bucket: batches.bucket,
      intervalMs: LIFECYCLE_INTERVAL_MS,
    });
    cleanups.push(() => lifecycle.stop());
    await restorePending(config.localDir, messaging);
    const database = await databaseStarted;
    await siteBuilt;

    const env = functionEnvironment(
      {
        repoRoot: config.repoRoot,
        region: config.region,
        awsEndpoint: messaging.endpoint,
        s3Endpoint: s3Front.endpoint,
        topicArn: messaging.topicArn,
        databaseUrl: database.url,
        batchBucket: batches.bucket,
        batchQueueUrl: batches.queueUrl,
      },
      process.env,
    );
    // The AWS SDK clients and Powertools read their settings (endpoint, region, credentials, log level) from the
    // process environment, as in Lambda; the functions' own config is parsed from `env` by loadFunctions.
    Object.assign(process.env, env);
    // The functions load (models included) while the embedded database may still be opening: they connect lazily.
    const [functions] = await Promise.all([
      timed("functions", loadFunctions(config.region, { ...process.env, ...env })),
      timed(
        "migrations",
        timed("databaseReady", database.ready)
          .then(() => migrate(database.url))
          .then((migrations) => log.info("database ready", { database: database.kind, ...migrations })),
      ),
    ]);

    const sqs = new SQSClient(awsClientConfig(messaging.endpoint, config.region));
    cleanups.push(async () => sqs.destroy());
    const mapping = new EventSourceMapping({
      sqs,
      queueUrl: messaging.queueUrl,
      queueArn: messaging.queueArn,
      region: config.region,
      functionName: localIdentity("subscriber", config.region).functionName,
      handler: functions.subscriber,
      settings: config.messaging,
    });
    mapping.start();
    cleanups.push(() => mapping.stop());
    const batchMapping = new EventSourceMapping({
      sqs,
      queueUrl: batches.queueUrl,
      queueArn: batches.queueArn,
      region: config.region,
      functionName: localIdentity("batch-worker", config.region).functionName,
      handler: functions.batchWorker,
      settings: LOCAL_BATCH_QUEUE_SETTINGS,
    });
    batchMapping.start();
    cleanups.push(() => batchMapping.stop());
    // Every batch ends: the sweeper fails what can no longer end on its own (docs/batches.md, "Every batch ends").
    const sweeper = startBatchSweeper({
      databaseUrl: database.url,
      ...config.batchSweep,
      inputExists: s3ObjectExists(s3, LOCAL_BATCH_NAMES.bucket),
    });
    cleanups.push(() => sweeper.stop());

    // The issuer's URL holds the port, known once the server listens (PORT=0 picks one); no request is answered
    // before then.
    let issuer: LocalIssuer | undefined;
    const currentIssuer = (): LocalIssuer => {
      if (!issuer) throw new Error("the local issuer is not ready");
      return issuer;
    };
    const api = await startApiGateway({
      host: API_HOST,
      port: config.port,
      authorizer: () => currentIssuer().authorizer,
      frontDoor: createFrontDoor({
        siteDir: join(config.localDir, SITE_DIR),
        issuer: currentIssuer,
        // Presigned URLs name the verifying S3 front (s3-front.ts), so the page may connect to it.
        connectOrigins: [s3Front.endpoint],
      }),
      functions: {
        api: functions.api,
        prediction: functions.prediction,
        batches: functions.batches,
      },
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        throw new Error(`Port ${config.port} is in use; start with another one, e.g. PORT=3001 npm start`, {
          cause: err,
        });
      }
      throw err;
    });

    issuer = createLocalIssuer({ localDir: config.localDir, origin: api.url });
    siteOrigin = api.url;
    const description: StackDescription = {
      apiUrl: api.url,
      authIssuer: issuer.issuer,
      awsEndpoint: messaging.endpoint,
      s3Endpoint: s3Front.endpoint,
      region: config.region,
      topicArn: messaging.topicArn,
      queueUrl: messaging.queueUrl,
      dlqUrl: messaging.deadLetterQueueUrl,
      databaseUrl: database.url,
      batchBucket: batches.bucket,
      batchQueueUrl: batches.queueUrl,
      batchDlqUrl: batches.deadLetterQueueUrl,
    };
    // Owner-only: it may hold the password of a DATABASE_URL.
    writeFileSync(join(config.localDir, STACK_FILE), `${JSON.stringify(description, null, 2)}\n`, {
      mode: 0o600,
    });
    // Where a start spends its time (issue 29), for whoever wonders why theirs is slow.
    log.info("start-up phases: ms since the start began, each when it finished", {
      ...phases,
      ready: Math.round(performance.now() - started),
    });
    return {
      description,
      database,
      mapping,
      batchMapping,
      stop: async (budgetMs = DEFAULT_STOP_BUDGET_MS) => {
        await stopStack({
          budgetMs,
          api,
          mapping,
          batchMapping,
          sweeper,
          messaging,
          sqs,
          database,
          localDir: config.localDir,
        });
        batchPipeline.stop();
        await lifecycle.stop();
        s3.destroy();
        await s3Front.stop();
        unlock();
      },
    };
  } catch (err) {
    // Whatever was still starting registers its cleanup first.
    await Promise.allSettled([databaseStarted, siteBuilt]);
    await cleanup();
    throw err;
  }
}

interface StopParts {
  readonly budgetMs: number;
  readonly api: LocalApiGateway;
  readonly mapping: EventSourceMapping;
  readonly batchMapping: EventSourceMapping;
  readonly sweeper: LocalBatchSweeper;
  readonly messaging: LocalMessaging;
  readonly sqs: SQSClient;
  readonly database: LocalDatabase;
  readonly localDir: string;
}

async function stopStack(p: StopParts): Promise<void> {
  const deadline = Date.now() + p.budgetMs;
  // 1. No new requests; requests in progress finish (their publishes are accepted messages).
  await p.api.stop(Math.min(2_000, p.budgetMs / 4));
  // 2. Let the subscriber work off what is visible, so accepted users reach the database now.
  const drainUntil = deadline - 2_000;
  while (Date.now() < drainUntil && ((await p.messaging.visibleMessages()) > 0 || p.mapping.busy))
    await sleep(100);
  // 3. Batches in progress finish (a hung one stays in flight); nothing new is received. What is still queued
  // (waiting for a retry, in flight, or in the DLQ) is already in the durable queue for the next start.
  // A range being scored is abandoned here; its message becomes visible again after the visibility timeout and is
  // scored again at the next start (the worker is idempotent).
  await Promise.race([
    Promise.all([p.mapping.stop(), p.batchMapping.stop()]),
    sleep(Math.max(0, deadline - 1_000 - Date.now())),
  ]);
  await p.sweeper.stop();
  p.sqs.destroy();
  await p.messaging.stop();
  await p.database.stop();
  // The addresses in stack.json die with this process; a stale file would point tools at nothing.
  rmSync(join(p.localDir, STACK_FILE), { force: true });
}

async function restorePending(localDir: string, messaging: LocalMessaging): Promise<void> {
  const file = join(localDir, PENDING_MESSAGES_FILE);
  if (!existsSync(file)) return;
  const saved = JSON.parse(readFileSync(file, "utf8")) as PendingMessages;
  await messaging.restore(saved);
  // Now in the durable queue: removed at once, so a start that fails later cannot queue them twice.
  rmSync(file, { force: true });
  log.info("queued the messages an earlier version saved at its last shutdown", {
    queue: saved.queue.length,
    deadLetterQueue: saved.deadLetterQueue.length,
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

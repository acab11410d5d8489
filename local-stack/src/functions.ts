/**
 * Builds the functions the local stack runs with the factories their Lambda entries call (typed, so the compiler
 * and a reader can follow every hop), each over its package's own config parsing of the environment the
 * infrastructure would give it. The bundled entries themselves are loaded the way Lambda loads them by the
 * entry-point tests of each package.
 */
import { resolve } from "node:path";
import { createApiFunction } from "@sml/app-api/src/api-function";
import { loadConfig as loadApiConfig } from "@sml/app-api/src/config";
import { loadConfig as loadSubscriberConfig } from "@sml/app-subscriber/src/config";
import { createSubscriberFunction } from "@sml/app-subscriber/src/subscriber-function";
import { ENV } from "@sml/contracts/env";
import {
  FUNCTIONS,
  type FunctionName,
  METRICS_NAMESPACE,
  statementTimeoutMsFor,
} from "@sml/contracts/functions";
import { createSqlBatchStore, createSqlExecutor, dbConfigFromEnv } from "@sml/database";
import {
  createBatchesHandler,
  createBatchWorkerHandler,
  loadBatchConfig,
} from "@sml/model-container/batch-function";
import { createSqsRangeQueue } from "@sml/model-container/batch-queue";
import { createS3BatchObjects } from "@sml/model-container/batch-s3";
import { createPredictionHandler, defaultModelDir } from "@sml/model-container/prediction-function";
import type { HttpFunction } from "./api-gateway";
import type { SqsHandler } from "./event-source-mapping";
import type { FunctionIdentity } from "./lambda-context";
import { LOCAL_AWS_CREDENTIALS } from "./messaging";

export interface FunctionEnvironment {
  readonly repoRoot: string;
  readonly region: string;
  readonly awsEndpoint: string;
  /** The verifying S3 front (s3-front.ts): S3 clients and presigned URLs use it, not fauxqs directly. */
  readonly s3Endpoint: string;
  readonly topicArn: string;
  readonly databaseUrl: string;
  readonly batchBucket: string;
  readonly batchQueueUrl: string;
}

/** The variables each deployed function gets from the infrastructure, pointed at the local pieces. */
export function functionEnvironment(
  e: FunctionEnvironment,
  inherited: NodeJS.ProcessEnv,
): Record<string, string> {
  return {
    [ENV.topicArn]: e.topicArn,
    [ENV.batchBucket]: e.batchBucket,
    [ENV.batchQueueUrl]: e.batchQueueUrl,
    [ENV.dbDriver]: "pg",
    [ENV.databaseUrl]: e.databaseUrl,
    // In Lambda each concurrent invocation is its own instance with its own connection; here one process serves
    // them all, and one shared connection would queue a health check behind a slow query.
    [ENV.dbMaxConnections]: String(LOCAL_CONNECTIONS_PER_FUNCTION),
    [ENV.modelDir]: inherited[ENV.modelDir] ?? resolve(e.repoRoot, "model-container/model"),
    AWS_ENDPOINT_URL: e.awsEndpoint,
    // The SDK's service-specific endpoint (AWS SDKs and Tools reference guide, "Service-specific endpoints").
    AWS_ENDPOINT_URL_S3: e.s3Endpoint,
    AWS_REGION: e.region,
    AWS_DEFAULT_REGION: e.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    // EMF metric lines would drown the logs (set POWERTOOLS_METRICS_DISABLED=false to see them).
    POWERTOOLS_METRICS_DISABLED: inherited.POWERTOOLS_METRICS_DISABLED ?? "true",
    POWERTOOLS_METRICS_NAMESPACE: inherited.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  };
}

/** Connections each function's pool may open locally: the dev API's reserved concurrency. */
export const LOCAL_CONNECTIONS_PER_FUNCTION = 10;

/**
 * The variables the infrastructure sets per function (infra/src/constructs/zip-functions.ts), over the shared ones:
 * its service name and its statement timeout, below its own timeout.
 */
function ownEnvironment(
  name: FunctionName,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  return {
    ...env,
    POWERTOOLS_SERVICE_NAME: FUNCTIONS[name].serviceName,
    [ENV.dbStatementTimeoutMs]: String(statementTimeoutMsFor(FUNCTIONS[name].timeoutSeconds)),
  };
}

/** The local twin of a deployed function: its name, and the registry's memory and timeout. */
export function localIdentity(name: FunctionName, region: string): FunctionIdentity {
  const fn = FUNCTIONS[name];
  return {
    functionName: `sml-${fn.name}-local`,
    region,
    timeoutSeconds: fn.timeoutSeconds,
    memoryMB: fn.memoryMb,
  };
}

export interface LoadedFunctions {
  readonly api: HttpFunction;
  readonly prediction: HttpFunction;
  readonly subscriber: SqsHandler;
  readonly batches: HttpFunction;
  readonly batchWorker: SqsHandler;
}

/**
 * The models load now, as in Lambda's init phase, where a model that does not load fails the init of the
 * prediction and batch functions (every request of theirs would answer 500: GET /models, POST /predict,
 * POST /batches). The local stack refuses to start instead of printing "is up" over them.
 */
export class ModelsRefusedError extends Error {
  constructor(modelDir: string, reason: string, options?: ErrorOptions) {
    super(
      `the models in ${modelDir} do not load, so the prediction and batch functions could not initialise (in Lambda their init fails the same way): ${reason}. Fix or remove that model folder (or set ${ENV.modelDir}) and start again`,
      options,
    );
    this.name = "ModelsRefusedError";
  }
}

async function prediction(region: string): Promise<HttpFunction> {
  const modelDir = defaultModelDir();
  try {
    const app = await createPredictionHandler({ modelDir });
    return { identity: localIdentity("prediction", region), handler: app.handler };
  } catch (err) {
    throw new ModelsRefusedError(modelDir, (err as Error).message, { cause: err });
  }
}

/**
 * The two batch functions over the same database, bucket and queue the environment names. Like the prediction
 * function they load the models at init; if that fails the stack refuses to start (ModelsRefusedError).
 */
async function batchFunctions(
  region: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ batches: HttpFunction; batchWorker: SqsHandler }> {
  const httpEnv = ownEnvironment("batches", env);
  const workerEnv = ownEnvironment("batch-worker", env);
  const config = loadBatchConfig(workerEnv);
  const common = {
    modelDir: defaultModelDir(),
    objects: createS3BatchObjects({ bucket: config.bucket }),
  };
  const identity = localIdentity("batches", region);
  try {
    const handler = await createBatchesHandler({
      ...common,
      store: createSqlBatchStore(createSqlExecutor(dbConfigFromEnv(httpEnv))),
    });
    const worker = await createBatchWorkerHandler({
      ...common,
      store: createSqlBatchStore(createSqlExecutor(dbConfigFromEnv(workerEnv))),
      queue: createSqsRangeQueue(config.queueUrl as string),
    });
    return { batches: { identity, handler }, batchWorker: worker.handler };
  } catch (err) {
    throw new ModelsRefusedError(common.modelDir, (err as Error).message, { cause: err });
  }
}

/** Builds every function from `env` (the variables {@link functionEnvironment} gives them). */
export async function loadFunctions(
  region: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedFunctions> {
  const apiEnv = ownEnvironment("api", env);
  const api = createApiFunction(loadApiConfig(apiEnv), dbConfigFromEnv(apiEnv));
  const subscriber = createSubscriberFunction(loadSubscriberConfig(ownEnvironment("subscriber", env)));
  const predict = await prediction(region);
  const batch = await batchFunctions(region, env);
  return {
    api: { identity: localIdentity("api", region), handler: api },
    prediction: predict,
    subscriber,
    ...batch,
  };
}

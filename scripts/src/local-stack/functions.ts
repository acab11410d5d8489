/**
 * Loads the functions the local stack runs: the same handler modules the Lambda bundles are built from. They
 * read their configuration from the environment at module load (as in Lambda), so the environment is set
 * before the first import.
 */
import { resolve } from "node:path";
import { ENV } from "@sml/common/env";
import { statementTimeoutMsFor } from "@sml/common/functions";
import { DEFAULT_MESSAGING_SETTINGS } from "@sml/common/messaging";
import type { HttpFunction, HttpHandler } from "./api-gateway";
import type { SqsHandler } from "./event-source-mapping";
import { log } from "./log";
import { LOCAL_AWS_CREDENTIALS } from "./messaging";

export interface FunctionEnvironment {
  readonly repoRoot: string;
  readonly region: string;
  readonly awsEndpoint: string;
  readonly topicArn: string;
  readonly databaseUrl: string;
}

/** The variables each deployed function gets from the infrastructure, pointed at the local pieces. */
export function functionEnvironment(
  e: FunctionEnvironment,
  inherited: NodeJS.ProcessEnv,
): Record<string, string> {
  return {
    [ENV.topicArn]: e.topicArn,
    [ENV.dbDriver]: "pg",
    [ENV.databaseUrl]: e.databaseUrl,
    // Both functions share this process's environment, so the shorter timeout of the two applies to both.
    [ENV.dbStatementTimeoutMs]: String(
      Math.min(statementTimeoutMsFor(API_TIMEOUT_SECONDS), statementTimeoutMsFor(SUBSCRIBER_TIMEOUT_SECONDS)),
    ),
    // In Lambda each concurrent invocation is its own instance with its own connection; here one process serves
    // them all, and one shared connection would queue a health check behind a slow query.
    [ENV.dbMaxConnections]: String(LOCAL_CONNECTIONS_PER_FUNCTION),
    [ENV.modelDir]: inherited[ENV.modelDir] ?? resolve(e.repoRoot, "model-container/model"),
    AWS_ENDPOINT_URL: e.awsEndpoint,
    AWS_REGION: e.region,
    AWS_DEFAULT_REGION: e.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    // There is no X-Ray daemon here; EMF metric lines would drown the logs (set it to false to see them).
    POWERTOOLS_TRACE_ENABLED: "false",
    POWERTOOLS_METRICS_DISABLED: inherited.POWERTOOLS_METRICS_DISABLED ?? "true",
    POWERTOOLS_METRICS_NAMESPACE: inherited.POWERTOOLS_METRICS_NAMESPACE ?? "sml-local",
  };
}

const API_TIMEOUT_SECONDS = 10;
const SUBSCRIBER_TIMEOUT_SECONDS = DEFAULT_MESSAGING_SETTINGS.subscriberTimeoutSeconds;
const PREDICTION_TIMEOUT_SECONDS = 30;
/** Connections each function's pool may open locally: the dev API's reserved concurrency. */
export const LOCAL_CONNECTIONS_PER_FUNCTION = 10;

/** The handler modules, by the function they implement (the same entries `npm run build` bundles). */
export const HANDLER_MODULES: HandlerModules = {
  api: "@sml/app-api/src/handlers/http",
  subscriber: "@sml/app-subscriber/src/handlers/sqs",
  prediction: "@sml/model-container/handler",
};

export interface HandlerModules {
  readonly api: string;
  readonly subscriber: string;
  readonly prediction?: string;
}

export interface LoadedFunctions {
  readonly api: HttpFunction;
  readonly prediction?: HttpFunction;
  readonly subscriber: SqsHandler;
  /** Why the prediction function failed its init, if it did. */
  readonly predictionProblem?: string;
}

function handlerOf<T>(mod: unknown, name: string): T {
  const handler = (mod as { handler?: unknown }).handler;
  if (typeof handler !== "function") throw new Error(`${name} does not export a handler function`);
  return handler as T;
}

async function load(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (err) {
    throw new Error(`Could not load the handler module ${specifier}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Loads the model now, as Lambda's init phase would, when the module offers it. A failure (no model yet) is
 * logged and returned, and POST /predict then answers 500 as the deployed function would; the rest runs.
 */
async function warmUp(mod: unknown): Promise<string | undefined> {
  const warm = (mod as { warmUp?: unknown } | undefined)?.warmUp;
  if (typeof warm !== "function") return undefined;
  try {
    await (warm as () => Promise<unknown>)();
    return undefined;
  } catch (err) {
    log.warn("the prediction function could not initialise; POST /predict will answer 500", {
      error: err as Error,
    });
    return (err as Error).message;
  }
}

export async function loadFunctions(
  region: string,
  modules: HandlerModules = HANDLER_MODULES,
): Promise<LoadedFunctions> {
  const api = await load(modules.api);
  const subscriber = await load(modules.subscriber);
  const prediction = modules.prediction ? await load(modules.prediction) : undefined;
  const predictionProblem = await warmUp(prediction);
  return {
    api: {
      identity: { functionName: "sml-api-local", region, timeoutSeconds: API_TIMEOUT_SECONDS, memoryMB: 512 },
      handler: handlerOf<HttpHandler>(api, modules.api),
    },
    ...(prediction && modules.prediction
      ? {
          prediction: {
            identity: {
              functionName: "sml-prediction-local",
              region,
              timeoutSeconds: PREDICTION_TIMEOUT_SECONDS,
              memoryMB: 2048,
            },
            handler: handlerOf<HttpHandler>(prediction, modules.prediction),
          },
        }
      : {}),
    subscriber: handlerOf<SqsHandler>(subscriber, modules.subscriber),
    ...(predictionProblem ? { predictionProblem } : {}),
  };
}

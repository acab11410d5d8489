/**
 * Composition root of the prediction image (API Gateway HTTP API, payload v2, `POST /predict`); the Lambda entry is
 * src/handlers/predict.ts.
 * The model loads once per container, during init; each request is validated and predicted in one batched call.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { ENV } from "@sml/contracts/env";
import { FUNCTIONS } from "@sml/contracts/functions";
import {
  dispatch,
  type HttpResponse,
  type RouteHandlers,
  readJsonBody,
  toHttpResponse,
} from "@sml/lambda-http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { type BackendName, DEFAULT_BACKENDS, initBackend } from "./core/backend";
import { FlightDelayModel } from "./core/model";
import { predictFlightsJson } from "./core/predict-flights";

/**
 * A 1000-instance request (the model bench prints its body size) is far below this; the cap leaves room and still
 * refuses abuse early.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface PredictionHandlerOptions {
  /** Folder with model.json, weights.bin, features.json, airports.json. */
  readonly modelDir: string;
  /** Backends to try in order (default: tfjs-node if installed, then wasm, then cpu). */
  readonly backends?: readonly BackendName[];
  /** Folder with the tfjs-backend-wasm*.wasm files (default: beside the bundle, else the npm package). */
  readonly wasmDir?: string;
  readonly logger?: Logger;
}

export type PredictionHandler = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

export interface PredictionApp {
  readonly handler: PredictionHandler;
  readonly model: FlightDelayModel;
  readonly backend: BackendName;
}

/** Builds the handler: picks the backend and loads the model (do this once, at init). */
export async function createPredictionHandler(options: PredictionHandlerOptions): Promise<PredictionApp> {
  const logger = options.logger ?? new Logger({ serviceName: FUNCTIONS.prediction.serviceName });
  const backend = await initBackend(options.backends ?? DEFAULT_BACKENDS, options.wasmDir);
  const model = FlightDelayModel.load(options.modelDir);
  logger.info("model loaded", { backend, model: model.name, version: model.version });

  const routes: RouteHandlers<"prediction"> = {
    // The body is serialized by predictFlightsJson (one join), not by jsonResponse's JSON.stringify.
    "POST /predict": async ({ event }) => ({
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: predictFlightsJson(model, readJsonBody(event, MAX_BODY_BYTES)),
    }),
  };
  const handler: PredictionHandler = async (event) => {
    try {
      return await dispatch("prediction", routes, event);
    } catch (err) {
      return toHttpResponse(err, (unexpected) =>
        logger.error("prediction failed", { error: unexpected as Error }),
      );
    }
  };
  return { handler, model, backend };
}

/** `model/` beside the bundle in the image; from source, the workspace's committed model. */
export function defaultModelDir(): string {
  const configured = process.env[ENV.modelDir];
  if (configured) return configured;
  const besideBundle = join(__dirname, "model");
  return existsSync(besideBundle) ? besideBundle : join(__dirname, "..", "model");
}

let app: Promise<PredictionApp> | undefined;

/** The Lambda handler (`index.handler` in the image). The first call awaits the init that module load started. */
export const handler: PredictionHandler = async (event) => {
  app ??= createPredictionHandler({ modelDir: defaultModelDir() });
  return (await app).handler(event);
};

/** Started at module load so the model loads during Lambda's init phase, not inside the first request. */
export function warmUp(): Promise<PredictionApp> {
  app ??= createPredictionHandler({ modelDir: defaultModelDir() });
  return app;
}

/**
 * Composition root of the prediction image (API Gateway HTTP API, payload v2): `POST /predict` and `GET /models`;
 * the Lambda entry is src/handlers/predict.ts. The champion loads once per container, during init, every other
 * model of the image on the first request that names it; each request is validated and predicted in one batched call by the model it names
 * (`"model": "<name>@<version>"`) or by the champion.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { ENV } from "@sml/contracts/env";
import { ValidationError } from "@sml/contracts/errors";
import { FUNCTIONS } from "@sml/contracts/functions";
import { PREDICT_MAX_BODY_BYTES } from "@sml/contracts/predict";
import { type BackendName, DEFAULT_BACKENDS, initBackend } from "@sml/flight-model/backend";
import type { FlightDelayModel } from "@sml/flight-model/model";
import { ModelRegistry, UnknownModelError } from "@sml/flight-model/model-registry";
import { predictFlightsJson } from "@sml/flight-model/predict-flights";
import {
  dispatch,
  type HttpResponse,
  type RouteHandlers,
  readJsonBody,
  toHttpResponse,
} from "@sml/lambda-http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

/** Largest POST /predict body (the API's contract, @sml/contracts/predict). */
export const MAX_BODY_BYTES = PREDICT_MAX_BODY_BYTES;

export interface PredictionHandlerOptions {
  /** Registry folder (models.json + one folder per model), or a single model's folder. */
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
  /** The champion: what serves requests that name no model. */
  readonly model: FlightDelayModel;
  readonly registry: ModelRegistry;
  readonly backend: BackendName;
}

/**
 * Takes the optional `model` field off a predict body: the model it names (400 naming it when the image has no
 * such model) and the rest of the body, which the prediction use case validates as before.
 */
export function selectModel(
  registry: ModelRegistry,
  body: unknown,
): { model: FlightDelayModel; request: unknown } {
  if (typeof body !== "object" || body === null || Array.isArray(body) || !("model" in body)) {
    return { model: registry.champion, request: body };
  }
  const { model: requested, ...request } = body as { model: unknown };
  if (typeof requested !== "string") {
    throw new ValidationError(
      'Invalid request body: model: must be a string "<name>@<version>" (see GET /models)',
      {
        details: [{ field: "model", message: 'must be a string "<name>@<version>" (see GET /models)' }],
      },
    );
  }
  try {
    return { model: registry.resolve(requested), request };
  } catch (err) {
    if (!(err instanceof UnknownModelError)) throw err;
    // Echo at most a short prefix of what the caller sent: the name is theirs, the list is ours.
    const shown = JSON.stringify(requested.slice(0, 80));
    const message = `unknown model ${shown}; this image serves ${err.available.join(", ")} (GET /models)`;
    throw new ValidationError(`Invalid request body: model: ${message}`, {
      details: [{ field: "model", message }],
    });
  }
}

/** Builds the handler: picks the backend and loads the model (do this once, at init). */
export async function createPredictionHandler(options: PredictionHandlerOptions): Promise<PredictionApp> {
  const logger = options.logger ?? new Logger({ serviceName: FUNCTIONS.prediction.serviceName });
  const backend = await initBackend(options.backends ?? DEFAULT_BACKENDS, options.wasmDir);
  const registry = ModelRegistry.load(options.modelDir);
  const model = registry.champion;
  const modelsBody = JSON.stringify({
    champion: `${model.name}@${model.version}`,
    models: registry.summaries,
  });
  logger.info("models loaded", {
    backend,
    champion: `${model.name}@${model.version}`,
    models: registry.ids,
  });

  const routes: RouteHandlers<"prediction"> = {
    "POST /predict": async ({ event }) => {
      const selected = selectModel(registry, readJsonBody(event, MAX_BODY_BYTES));
      // The body is serialized by predictFlightsJson (one join), not by jsonResponse's JSON.stringify.
      return {
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: predictFlightsJson(selected.model, selected.request),
      };
    },
    "GET /models": async () => ({
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: modelsBody,
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
  return { handler, model, registry, backend };
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

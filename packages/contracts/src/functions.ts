/**
 * The function registry: every Lambda function of the system, with each fact about it written once. Bundling
 * (scripts/bundling), the infrastructure (infra/src/constructs), the local stack and the handlers' config
 * defaults all read it; adding a function means one entry here, its handler and its tests, and the decisions
 * nothing derives: the construct that owns its trigger builds it (the compiler asks), the local stack wires it
 * (local-stack/src/functions.ts, stack.ts), a reserved concurrency goes into infra/src/config/index.ts, and a new
 * trigger kind needs its alarm scope (infra/src/config/slo.ts). docs/architecture.md, "A new function", says why.
 */

/** The CloudWatch namespace every function's EMF metrics go to (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = "ServerlessMlApi";

/**
 * What invokes a function: API Gateway routes (the route table names it as `target`), an SQS queue, Terraform, or
 * an EventBridge schedule.
 */
export type FunctionTrigger = "http-routes" | "users-queue" | "terraform-apply" | "batch-queue" | "schedule";

export interface FunctionDefinition {
  /** Short name: the bundle folder, the infrastructure's `<prefix>-<name>`, the local stack's `sml-<name>-local`. */
  readonly name: string;
  /** `zip`: an esbuild bundle uploaded as a zip; `image`: a container image (see model-container/). */
  readonly packaging: "zip" | "image";
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /**
   * Files the function reads at run time beside its bundle (`from` relative to the repository root); `only`
   * names the files of `from` to take (default: all of it).
   */
  readonly files?: { readonly from: string; readonly to: string; readonly only?: readonly string[] };
  /** POWERTOOLS_SERVICE_NAME: the `service` of every log line and metric. */
  readonly serviceName: string;
  /** The Lambda function's description. */
  readonly description: string;
  /** What invokes it. */
  readonly trigger: FunctionTrigger;
  /**
   * Served through its `live` alias, which CodeDeploy shifts to each new version and moves back when one of the
   * version's guarding alarms fires (infra/src/constructs/deployment.ts). Off only for what Terraform itself invokes
   * during the apply (the migration), which must run the version the apply just published.
   */
  readonly rollout: boolean;
  /** Defaults for memory and timeout; an environment's config may raise them (infra/src/config). */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export const FUNCTIONS = {
  api: {
    name: "api",
    packaging: "zip",
    entry: "app-api/src/handlers/http.ts",
    serviceName: "users-api",
    description: "HTTP API: /users and /health",
    trigger: "http-routes",
    rollout: true,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  subscriber: {
    name: "subscriber",
    packaging: "zip",
    entry: "app-subscriber/src/handlers/sqs.ts",
    serviceName: "users-subscriber",
    description: "SQS subscriber: users from SNS envelopes into PostgreSQL",
    trigger: "users-queue",
    rollout: true,
    memoryMb: 512,
    // The queue's visibility timeout is derived from this (messaging.ts).
    timeoutSeconds: 30,
  },
  migrate: {
    name: "migrate",
    packaging: "zip",
    entry: "packages/database/src/handlers/migrate.ts",
    // The runner resolves the .sql files next to the running module (packages/database/src/migrations.ts).
    files: { from: "packages/database/src/migrations", to: "migrations" },
    serviceName: "users-migrate",
    description: "Applies the SQL migrations; invoked by Terraform on apply",
    trigger: "terraform-apply",
    rollout: false,
    memoryMb: 256,
    timeoutSeconds: 300,
  },
  prediction: {
    name: "prediction",
    packaging: "image",
    entry: "model-container/src/handlers/predict.ts",
    serviceName: "prediction",
    description: "POST /predict: flight-delay model (TensorFlow.js) in a container image",
    trigger: "http-routes",
    rollout: true,
    memoryMb: 1024,
    timeoutSeconds: 10,
  },
  // Both batch functions run the prediction image (same model core, same models) with their own entry: the
  // HTTP one resolves `"model"` exactly as POST /predict does, the worker scores with that very model.
  batches: {
    name: "batches",
    packaging: "image",
    entry: "model-container/src/handlers/batches.ts",
    serviceName: "batches",
    description:
      "POST /batches, GET /batches/{id}: batch predictions (presigned S3 upload, state in PostgreSQL)",
    trigger: "http-routes",
    rollout: true,
    memoryMb: 1024,
    timeoutSeconds: 10,
  },
  "batch-worker": {
    name: "batch-worker",
    packaging: "image",
    entry: "model-container/src/handlers/batch-worker.ts",
    serviceName: "batch-worker",
    description: "Batch worker: plans an uploaded file into ranges and scores each range, streamed, into S3",
    trigger: "batch-queue",
    rollout: true,
    // Memory buys CPU in Lambda; the worker's own footprint stays flat whatever the file (docs/batches.md).
    memoryMb: 2048,
    // Lambda's maximum; a range (BATCH_RANGE_BYTES) is sized to finish well inside it.
    timeoutSeconds: 900,
  },
  // Only SQL (two UPDATEs): a zip beside the migrate function, not the prediction image.
  "batch-sweeper": {
    name: "batch-sweeper",
    packaging: "zip",
    entry: "packages/database/src/handlers/batch-sweeper.ts",
    serviceName: "batch-sweeper",
    description:
      "Batch sweeper (every 5 minutes): fails batches whose upload never arrived or that stopped making progress",
    trigger: "schedule",
    rollout: true,
    memoryMb: 256,
    timeoutSeconds: 60,
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof FUNCTIONS;

type NamesWhere<K extends "packaging" | "trigger" | "rollout", V> = {
  [N in FunctionName]: (typeof FUNCTIONS)[N][K] extends V ? N : never;
}[FunctionName];

/** The functions shipped as zip bundles (`npm run build` writes them; the infrastructure uploads them). */
export type ZipFunctionName = NamesWhere<"packaging", "zip">;
/** The functions API Gateway routes requests to: the only valid `target` of a route. */
export type HttpFunctionName = NamesWhere<"trigger", "http-routes">;

const namesWhere = <K extends "packaging" | "trigger" | "rollout">(key: K, value: FunctionDefinition[K]) =>
  FUNCTION_NAMES.filter((n) => FUNCTIONS[n][key] === value);

/** Every function, in registry order. */
export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as readonly FunctionName[];

export const ZIP_FUNCTION_NAMES = namesWhere("packaging", "zip") as readonly ZipFunctionName[];
export const HTTP_FUNCTION_NAMES = namesWhere("trigger", "http-routes") as readonly HttpFunctionName[];

/** The functions CodeDeploy rolls out through their `live` alias (`rollout: true`). */
export type RolledOutFunctionName = NamesWhere<"rollout", true>;
export const ROLLED_OUT_FUNCTION_NAMES = namesWhere("rollout", true) as readonly RolledOutFunctionName[];

/** Bundle folder relative to the repository root; holds `index.js` (handler export: `handler`). */
export const zipBundleDir = (name: ZipFunctionName): string => `dist/functions/${name}`;

/** The functions that run the prediction image (each with its own bundle in it). */
export type ImageFunctionName = NamesWhere<"packaging", "image">;
export const IMAGE_FUNCTION_NAMES = namesWhere("packaging", "image") as readonly ImageFunctionName[];
/**
 * An image function's bundle in the image: the prediction function's is `index.js` (the image's CMD,
 * `index.handler`); every other one runs the same image with the command `<name>.handler`.
 */
export const imageBundleFile = (name: ImageFunctionName): string =>
  name === "prediction" ? "index.js" : `${name}.js`;
/** The Lambda handler string of an image function (`image_config.command` for all but the prediction function). */
export const imageHandler = (name: ImageFunctionName): string =>
  `${imageBundleFile(name).replace(/\.js$/, "")}.handler`;

/** The folder `npm run build` fills with the prediction image's build context (relative to the repository root). */
export const MODEL_IMAGE_CONTEXT_DIR = "dist/model-image";

/**
 * The zip `npm run build` writes beside the bundle folder (reproducible: same files, same bytes), which the
 * infrastructure uploads as the function's code.
 */
export const zipBundleFile = (name: ZipFunctionName): string => `${zipBundleDir(name)}.zip`;

/**
 * The Node.js major every function runs on, and the one place it is set: the zip functions' Lambda runtime
 * (`nodejs<major>.x`), the esbuild target below and, checked by model-container/tests/unit/image-layout.test.ts,
 * the prediction image's base (model-container/Dockerfile). The root `node` devDependency must be this major:
 * every npm script (tests, local stack, build, synth) runs on it (packages/contracts/tests/node-runtime.test.ts).
 */
export const LAMBDA_NODE_MAJOR = 24;

/**
 * esbuild settings every Lambda bundle shares (zip functions and the prediction image): one minified CommonJS
 * file for the Lambda Node.js runtime. `module` before `main` picks packages' ES module builds, which tree-shake
 * (the AWS SDK, Powertools) and keep side-effect imports that tfjs marks only in its ES builds.
 */
export const LAMBDA_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: "node",
  target: `node${LAMBDA_NODE_MAJOR}`,
  format: "cjs",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  mainFields: ["module", "main"],
  logLevel: "warning",
} as const);

/** The longest a database statement may run (the pg driver's `statement_timeout`) when the function allows it. */
export const MAX_STATEMENT_TIMEOUT_MS = 10_000;
/** Time a function keeps after a statement times out: to map the error to its own answer before Lambda stops it. */
export const STATEMENT_TIMEOUT_HEADROOM_MS = 2_000;

/**
 * The statement timeout for a function with the given timeout: always below it by the headroom, so a stuck
 * query ends as the function's own error (a 503 in the API's format), never as Lambda's timeout (API Gateway's
 * bare `{"message":"Service Unavailable"}`). The infrastructure sets it on every database function.
 */
export function statementTimeoutMsFor(functionTimeoutSeconds: number): number {
  return Math.min(MAX_STATEMENT_TIMEOUT_MS, functionTimeoutSeconds * 1000 - STATEMENT_TIMEOUT_HEADROOM_MS);
}

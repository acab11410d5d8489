/**
 * The Lambda functions shipped as zip bundles, and where `npm run build` writes each one. The build script
 * writes them; the infrastructure packages them as assets. The prediction function ships as a container image
 * instead (see model-container/).
 */
export const ZIP_FUNCTION_NAMES = ["api", "subscriber", "migrate"] as const;
export type ZipFunctionName = (typeof ZIP_FUNCTION_NAMES)[number];

/** Bundle folder relative to the repository root; holds `index.js` (handler export: `handler`). */
export const zipBundleDir = (name: ZipFunctionName): string => `dist/functions/${name}`;

/** The folder `npm run build` fills with the prediction image's build context (relative to the repository root). */
export const MODEL_IMAGE_CONTEXT_DIR = "dist/model-image";

/**
 * The zip `npm run build` writes beside the bundle folder (reproducible: same files, same bytes), which the
 * infrastructure uploads as the function's code.
 */
export const zipBundleFile = (name: ZipFunctionName): string => `${zipBundleDir(name)}.zip`;

/**
 * The Node.js major every function runs on, and the one place it is set: the zip functions' Lambda runtime
 * (`nodejs<major>.x`), the esbuild target below and, checked by model-container/tests/image-layout.test.ts, the
 * prediction image's base (model-container/Dockerfile). The root `node` devDependency must be this major: every
 * npm script (tests, local stack, build, synth) runs on it (common/tests/node-runtime.test.ts).
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

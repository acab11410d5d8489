/**
 * Assembles the prediction image's Docker build context in dist/model-image/: the esbuild bundle (index.js),
 * the tfjs wasm binaries beside it, the model files the server reads, the Dockerfile and .dockerignore.
 * Run by the root `npm run build` (scripts/bundling/bundle.ts) or on its own with tsx.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  FUNCTIONS,
  IMAGE_FUNCTION_NAMES,
  imageBundleFile,
  LAMBDA_BUNDLE_OPTIONS,
  MODEL_IMAGE_CONTEXT_DIR,
} from "@sml/contracts/functions";
import { modelFolders } from "@sml/flight-model/model-registry";
import { MODEL_FILES, REGISTRY_FILE } from "@sml/flight-model/model-spec";
import { build } from "esbuild";

const workspaceRoot = resolve(__dirname, "../..");
const defaultRepoRoot = resolve(workspaceRoot, "..");

/** The server reads only these (metrics.json for GET /models); golden.json stays out of the image. */
export const SERVED_MODEL_FILES = [
  MODEL_FILES.topology,
  MODEL_FILES.weights,
  MODEL_FILES.features,
  MODEL_FILES.airports,
  MODEL_FILES.metrics,
];

/** Threads need workers with SharedArrayBuffer, which tfjs' wasm backend does not use in Node: SIMD or plain only. */
export const WASM_FILES = ["tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm.wasm"];

export interface ImageContextOptions {
  /** Where dist/model-image/ goes (default: the repository root). */
  readonly repoRoot?: string;
  /** Registry folder of the trained models (default: model-container/model). */
  readonly modelDir?: string;
  /** Target folder (default: <repoRoot>/dist/model-image). */
  readonly outDir?: string;
}

export async function buildModelImageContext(options: ImageContextOptions = {}): Promise<string> {
  const outDir = options.outDir ?? join(options.repoRoot ?? defaultRepoRoot, MODEL_IMAGE_CONTEXT_DIR);
  const modelDir = options.modelDir ?? join(workspaceRoot, "model");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, "model"), { recursive: true });
  // One bundle per function of the registry that runs this image (the prediction function's is index.js).
  for (const name of IMAGE_FUNCTION_NAMES)
    await bundleImageEntry(join(defaultRepoRoot, FUNCTIONS[name].entry), join(outDir, imageBundleFile(name)));
  const wasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
  for (const file of WASM_FILES) copyFileSync(join(wasmDir, file), join(outDir, file));
  // Every model in the registry, so requests can name a challenger; models.json picks the champion.
  copyFileSync(join(modelDir, REGISTRY_FILE), join(outDir, "model", REGISTRY_FILE));
  for (const folder of modelFolders(modelDir)) {
    mkdirSync(join(outDir, "model", folder));
    for (const file of SERVED_MODEL_FILES) {
      copyFileSync(join(modelDir, folder, file), join(outDir, "model", folder, file));
    }
    // Only models of feature set 3 have one.
    if (existsSync(join(modelDir, folder, MODEL_FILES.rates))) {
      copyFileSync(
        join(modelDir, folder, MODEL_FILES.rates),
        join(outDir, "model", folder, MODEL_FILES.rates),
      );
    }
  }
  copyFileSync(join(workspaceRoot, "Dockerfile"), join(outDir, "Dockerfile"));
  copyFileSync(join(workspaceRoot, ".dockerignore"), join(outDir, ".dockerignore"));
  return outDir;
}

async function bundleImageEntry(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    ...LAMBDA_BUNDLE_OPTIONS,
    // The ES module builds matter here too: tfjs' package.json "sideEffects" lists only those, so with the
    // CommonJS "main" builds esbuild drops `import "@tensorflow/tfjs-backend-cpu"` and the cpu fallback with it.
    mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
    outfile,
    external: [
      // Installed into the image only with --build-arg WITH_TFJS_NODE=true; the bundle requires it if present.
      "@tensorflow/tfjs-node",
      // Only resolved when the .wasm files are not beside the bundle (running from source).
      "@tensorflow/tfjs-backend-wasm/dist/*",
      // tfjs-core's Node platform requires node-fetch only when the runtime has no global fetch (Node < 18); the
      // image runs Node 24. Bundled, its URL parser (tr46, whatwg-url) was 300 KB of the bundle every cold start
      // parsed for nothing.
      "node-fetch",
    ],
  });
}

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, entry) =>
      n + (entry.isDirectory() ? sizeOf(join(dir, entry.name)) : statSync(join(dir, entry.name)).size),
    0,
  );
}

/** Builds the context and prints one line, like the zip bundles do. */
export async function buildAndReport(options: ImageContextOptions = {}): Promise<void> {
  const outDir = await buildModelImageContext(options);
  const bundle = statSync(join(outDir, "index.js")).size;
  console.log(
    `${MODEL_IMAGE_CONTEXT_DIR}/  index.js ${(bundle / 1024).toFixed(0)} KB, context ${(sizeOf(outDir) / 1024).toFixed(0)} KB`,
  );
}

if (require.main === module) {
  buildAndReport().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

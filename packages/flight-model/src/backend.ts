/**
 * TensorFlow.js backend selection: tfjs-core plus the backends actually used, never the `@tensorflow/tfjs`
 * umbrella (its layers/converter/data packages add their load time to every cold start and are not needed to
 * serve; the model bench's "cold init" row is the cold start without them).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** `tensorflow` is @tensorflow/tfjs-node's native backend, used only when the image installed it. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/**
 * Tried in order; the first that initializes wins. wasm comes before cpu because the model benchmark
 * (scripts/bench/model.bench.ts) measures it faster for whole requests.
 */
export const DEFAULT_BACKENDS: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

const WASM_FILE = "tfjs-backend-wasm-simd.wasm";

/** The bundle ships the .wasm files beside index.js; from source they are in the package's dist folder. */
export function defaultWasmDir(): string {
  if (existsSync(join(__dirname, WASM_FILE))) return __dirname;
  try {
    return dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"));
  } catch {
    // Neither beside the bundle nor installed: wasm fails to initialize and the next backend takes over.
    return __dirname;
  }
}

function tfjsNodeInstalled(): boolean {
  try {
    // Registers the "tensorflow" backend in the engine every tfjs-core copy shares (a global), if installed.
    require("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

let wasmPathsSet = false;

/** Activates the first backend of `order` that initializes and returns its name. */
export async function initBackend(
  order: readonly BackendName[] = DEFAULT_BACKENDS,
  wasmDir: string = defaultWasmDir(),
): Promise<BackendName> {
  // Production mode skips per-op NaN checks and silences tfjs' console hints.
  tf.enableProdMode();
  for (const name of order) {
    if (name === "tensorflow" && !tfjsNodeInstalled()) continue;
    if (name === "wasm" && !wasmPathsSet) {
      setWasmPaths(`${wasmDir}/`);
      wasmPathsSet = true;
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // The next backend in the list is the fallback.
    }
  }
  throw new Error(`No TensorFlow.js backend of [${order.join(", ")}] could be initialized`);
}

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ZIP_FUNCTION_NAMES, zipBundleDir } from "@sml/common/functions";
import { bundleFunction, FUNCTION_ENTRIES } from "../../scripts/src/build/bundle";
import { REPO_ROOT, TEST_BUNDLE_ROOT } from "./support/paths";

/**
 * Builds every zip bundle the stacks package, with the same esbuild call as `npm run build`. A function whose
 * handler source does not exist in this checkout gets a one-line stand-in bundle instead, so the synth tests can
 * run while a handler is still being written; the snapshots neutralise asset hashes, so they do not notice.
 */
export default async function globalSetup(): Promise<void> {
  for (const name of ZIP_FUNCTION_NAMES) {
    if (existsSync(join(REPO_ROOT, FUNCTION_ENTRIES[name]))) {
      await bundleFunction(name, TEST_BUNDLE_ROOT);
    } else {
      const dir = join(TEST_BUNDLE_ROOT, zipBundleDir(name));
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "index.js"),
        `exports.handler = async () => ({ standIn: ${JSON.stringify(name)} });\n`,
      );
    }
  }
}

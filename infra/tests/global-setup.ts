import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZIP_FUNCTION_NAMES } from "@sml/contracts/functions";
import { bundleFunction, FUNCTION_ENTRIES, standInBundle } from "../../scripts/bundling/bundle";
import { BUNDLE_ROOT_VARIABLE, REPO_ROOT } from "./support/paths";
import { useTestSite } from "./support/use-test-site";

/**
 * Builds every zip bundle the stacks package (folder and zip), with the same calls as `npm run build`, into a fresh temp
 * folder for this run (exported to the test workers as SML_INFRA_TEST_BUNDLE_ROOT), so the tests never touch
 * dist/ and concurrent runs never delete each other's bundles. A function whose handler source does not exist
 * in this checkout gets a one-line stand-in bundle instead; the snapshots neutralise asset hashes either way (scripts/generate/stack-snapshots.ts).
 */
export default async function globalSetup(): Promise<void> {
  // The workers (and every process a test starts) inherit the test site (support/use-test-site.ts).
  useTestSite(process.env);
  const root = mkdtempSync(join(tmpdir(), "sml-infra-bundles-"));
  for (const name of ZIP_FUNCTION_NAMES) {
    if (existsSync(join(REPO_ROOT, FUNCTION_ENTRIES[name]))) {
      await bundleFunction(name, root);
    } else {
      standInBundle(name, root);
    }
  }
  process.env[BUNDLE_ROOT_VARIABLE] = root;
}

import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "../../..");
/** Where the global setup builds the zip bundles for the synth tests (gitignored). */
export const TEST_BUNDLE_ROOT = join(REPO_ROOT, "infra/.gen/test-bundles");

import { resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "../../..");

/** Set by tests/global-setup.ts: this run's bundle folder (a fresh temp dir, so parallel runs never collide). */
export const BUNDLE_ROOT_VARIABLE = "SML_INFRA_TEST_BUNDLE_ROOT";

export function testBundleRoot(): string {
  const root = process.env[BUNDLE_ROOT_VARIABLE];
  if (!root)
    throw new Error(
      `${BUNDLE_ROOT_VARIABLE} is not set: run the infra tests through jest (its globalSetup builds the bundles)`,
    );
  return root;
}

/**
 * The stacks the generated files describe: the real app's stacks on the fixed test site (the ones the infra tests
 * synthesize, infra/tests/support/synth.ts), built once per process. Their zip bundles are one-line stand-ins: no
 * generated file depends on a bundle's bytes (the snapshots neutralise asset paths and zip hashes, the cost
 * estimate reads no code), so `npm run generate` needs no esbuild run. Where infra's global setup has already
 * built real bundles (a jest run), those are used.
 */
import "@sml/infra/testing/use-test-site";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZIP_FUNCTION_NAMES } from "@sml/contracts/functions";
import { BUNDLE_ROOT_VARIABLE } from "@sml/infra/testing/paths";
import { type SynthesizedStack, synthAllStacks } from "@sml/infra/testing/synth";
import { standInBundle } from "../bundling/bundle";

/**
 * Runs `synth` with infra's synth helpers pointed at a bundle folder: the one a jest run's global setup built, or
 * stand-ins in a temp folder removed afterwards.
 */
export function withBundles<T>(synth: () => T): T {
  if (process.env[BUNDLE_ROOT_VARIABLE]) return synth();
  const root = mkdtempSync(join(tmpdir(), "sml-generate-bundles-"));
  try {
    for (const name of ZIP_FUNCTION_NAMES) standInBundle(name, root);
    process.env[BUNDLE_ROOT_VARIABLE] = root;
    return synth();
  } finally {
    delete process.env[BUNDLE_ROOT_VARIABLE];
    rmSync(root, { recursive: true, force: true });
  }
}

let cached: SynthesizedStack[] | undefined;

/** Every stack of the app (bootstrap, registry, dev, prd), synthesized once per process. */
export function synthesizedStacks(): SynthesizedStack[] {
  cached ??= withBundles(() => synthAllStacks().synthesized);
  return cached;
}

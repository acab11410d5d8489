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

function standInBundles(): string {
  const root = mkdtempSync(join(tmpdir(), "sml-generate-bundles-"));
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  for (const name of ZIP_FUNCTION_NAMES) standInBundle(name, root);
  return root;
}

/** Points infra's synth helpers at a bundle folder (stand-ins unless a jest run built real ones). */
export function useBundles(): void {
  process.env[BUNDLE_ROOT_VARIABLE] ??= standInBundles();
}

let cached: SynthesizedStack[] | undefined;

/** Every stack of the app (bootstrap, registry, dev, prd), synthesized once per process. */
export function synthesizedStacks(): SynthesizedStack[] {
  useBundles();
  cached ??= synthAllStacks().synthesized;
  return cached;
}

/**
 * The cdktf app (run by `cdktf synth`/`deploy` through cdktf.json): bootstrap, registry and one stack per
 * environment. `SML_ENVIRONMENTS=dev` limits the environments; `SML_BOOTSTRAP_LOCAL_STATE=1` is for the
 * bootstrap stack's first apply only (infra/README.md); `SML_SITE_PLACEHOLDERS=allow` synthesizes the
 * template's placeholder site (infra/src/config/site.ts; this repository's own CI, never a deploy); `SML_BUNDLE_ROOT` is where `dist/functions/` lives
 * (default: the repository root; the CDK Terrain equivalence test points it at its own build).
 * `SML_PREVIEW_PR=42` synthesizes the preview stack `sml-pr-42` of pull request 42 (and, unless SML_ENVIRONMENTS
 * says otherwise, no dev or prd stack).
 */
import { App } from "cdktf";
import { defineStacks } from "./stacks";

const app = new App();
const environments = process.env.SML_ENVIRONMENTS?.split(",")
  .map((e) => e.trim())
  .filter(Boolean);
defineStacks(app, {
  ...(environments && environments.length > 0 ? { environments } : {}),
  ...(process.env.SML_PREVIEW_PR ? { preview: process.env.SML_PREVIEW_PR } : {}),
  ...(process.env.SML_BUNDLE_ROOT ? { bundleRoot: process.env.SML_BUNDLE_ROOT } : {}),
  bootstrapLocalState: process.env.SML_BOOTSTRAP_LOCAL_STATE === "1",
  allowSitePlaceholders: process.env.SML_SITE_PLACEHOLDERS === "allow",
});
app.synth();

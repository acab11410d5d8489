/**
 * The cdktf app (run by `cdktf synth`/`deploy` through cdktf.json): bootstrap, registry and one stack per
 * environment. `SML_ENVIRONMENTS=dev` limits the environments; `SML_BOOTSTRAP_LOCAL_STATE=1` is for the
 * bootstrap stack's first apply only (infra/README.md); `SML_SITE_PLACEHOLDERS=allow` synthesizes the
 * template's placeholder site (infra/src/config/site.ts; this repository's own CI, never a deploy); `SML_BUNDLE_ROOT` is where `dist/functions/` lives
 * (default: the repository root; the CDK Terrain equivalence test points it at its own build).
 * `SML_PREVIEW_PR=42` synthesizes the preview stack `sml-pr-42` of pull request 42 (and, unless SML_ENVIRONMENTS
 * says otherwise, no dev or prd stack). After the synth every stack gets its committed provider lock file.
 */
import { App } from "cdktf";
import { installProviderLocks } from "./provider-locks";
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
// Each stack's committed .terraform.lock.hcl beside its cdk.tf.json (infra/src/provider-locks.ts); off only under
// CDK Terrain (infra/cdktn/alias.cjs), whose provider version has no committed lock.
if (process.env.SML_PROVIDER_LOCKS !== "off") installProviderLocks(app.outdir);

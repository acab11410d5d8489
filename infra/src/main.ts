/**
 * The cdktf app (run by `cdktf synth`/`deploy` through cdktf.json): bootstrap, registry and one stack per
 * environment. `SML_ENVIRONMENTS=dev` limits the environments (`none`: bootstrap and registry only); `SML_BOOTSTRAP_LOCAL_STATE=1` is for the
 * bootstrap stack's first apply only (scripts/delivery/bootstrap.sh); `SML_BUNDLE_ROOT` is where `dist/functions/`
 * lives (default: the repository root; the CDK Terrain equivalence test points it at its own build).
 * `SML_PREVIEW_PR=42` synthesizes the preview stack `<project>-pr-42` of pull request 42 (and, unless
 * SML_ENVIRONMENTS says otherwise, no dev or prd stack).
 *
 * `SML_SITE_CHECK=deploy` (set by `npm run plan`/`apply` and the deploy workflows) refuses placeholders in
 * infra/src/config/site.ts and missing `SML_ALARM_EMAIL_<ENV>`; unset, the synth explores: it prints them as one
 * warning and goes on, so a fresh clone synthesizes with nothing set.
 */
import { App } from "cdktf";
import { ConfigError } from "./config";
import { installProviderLocks } from "./provider-locks";
import { defineStacks, notReadyWarning, type SiteCheck } from "./stacks";

const SITE_CHECKS: readonly SiteCheck[] = ["deploy", "explore"];
const siteCheck = process.env.SML_SITE_CHECK || "explore";
if (!SITE_CHECKS.includes(siteCheck as SiteCheck))
  throw new ConfigError(`SML_SITE_CHECK="${siteCheck}" must be one of: ${SITE_CHECKS.join(", ")}`);

const app = new App();
// `none`: only the bootstrap and registry stacks (scripts/delivery/bootstrap.sh needs no environment's settings).
const environments =
  process.env.SML_ENVIRONMENTS?.trim() === "none"
    ? []
    : process.env.SML_ENVIRONMENTS?.split(",")
        .map((e) => e.trim())
        .filter(Boolean);
const stacks = defineStacks(app, {
  ...(environments && (environments.length > 0 || process.env.SML_ENVIRONMENTS?.trim() === "none")
    ? { environments }
    : {}),
  ...(process.env.SML_PREVIEW_PR ? { preview: process.env.SML_PREVIEW_PR } : {}),
  ...(process.env.SML_BUNDLE_ROOT ? { bundleRoot: process.env.SML_BUNDLE_ROOT } : {}),
  bootstrapLocalState: process.env.SML_BOOTSTRAP_LOCAL_STATE === "1",
  siteCheck: siteCheck as SiteCheck,
});
const warning = notReadyWarning(stacks.notReady);
if (warning) process.stderr.write(`${warning}\n`);
app.synth();
// Each stack's committed .terraform.lock.hcl beside its cdk.tf.json (infra/src/provider-locks.ts); off only under
// CDK Terrain (infra/cdktn/alias.cjs), whose provider version has no committed lock.
if (process.env.SML_PROVIDER_LOCKS !== "off") installProviderLocks(app.outdir);

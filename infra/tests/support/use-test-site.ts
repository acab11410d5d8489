/**
 * jest `setupFiles` of the infra and scripts suites: every test, and every process a test starts, runs on the
 * fixed test site and fixed alarm addresses, never on the fork's site.ts or the shell's / CI's variables (a fork
 * edits site.ts and CI stays green; docs/deploy.md, "Fork it").
 */
import { join } from "node:path";

export const TEST_SITE_FILE = join(__dirname, "test-site.ts");
export const PLACEHOLDER_SITE_FILE = join(__dirname, "placeholder-site.ts");

/** Alarm addresses of the test site's environments (deliverable-looking: not a placeholder domain). */
export const TEST_ALARM_EMAILS = Object.freeze({
  SML_ALARM_EMAIL_DEV: "sml-dev-alarms@ops.serverless-ml-api.org",
  SML_ALARM_EMAIL_PRD: "sml-prd-alarms@ops.serverless-ml-api.org",
  SML_ALARM_EMAIL_PREVIEW: "sml-pr-alarms@ops.serverless-ml-api.org",
});

process.env.SML_SITE_FILE = TEST_SITE_FILE;
Object.assign(process.env, TEST_ALARM_EMAILS);
// Whatever the shell says, the tests choose their own check mode, environments and preview per call.
for (const variable of ["SML_SITE_CHECK", "SML_SITE_PLACEHOLDERS", "SML_ENVIRONMENTS", "SML_PREVIEW_PR"])
  delete process.env[variable];

/**
 * jest `setupFiles` (and, through test-site-global-setup.ts, `globalSetup`) of the infra and scripts suites: every test, and every process a test starts, runs on the
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

/** Points `env` at the test site and its alarm addresses, and drops what the shell may have set for a deploy. */
export function useTestSite(env: NodeJS.ProcessEnv): void {
  env.SML_SITE_FILE = TEST_SITE_FILE;
  Object.assign(env, TEST_ALARM_EMAILS);
  // Whatever the shell says, the tests choose their own check mode, environments and preview per call.
  for (const variable of ["SML_SITE_CHECK", "SML_SITE_PLACEHOLDERS", "SML_ENVIRONMENTS", "SML_PREVIEW_PR"])
    delete env[variable];
}

// jest gives each test file a copy of process.env: this sets the copy (what the modules under test read), and
// test-site-global-setup.ts sets the workers' own environment (what a child process inherits by default).
useTestSite(process.env);

import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();

// The alarm e-mail is a required setting read from SML_ALARM_EMAIL_<ENV> at synth (infra/README.md); the synth
// tests give each environment a deliverable-looking address of their own unless the shell already sets one.
process.env.SML_ALARM_EMAIL_DEV ??= "sml-dev-alarms@ops.serverless-ml-api.org";
process.env.SML_ALARM_EMAIL_PRD ??= "sml-prd-alarms@ops.serverless-ml-api.org";
process.env.SML_ALARM_EMAIL_PREVIEW ??= "sml-pr-alarms@ops.serverless-ml-api.org";
// The template's site config holds placeholders (infra/src/config/site.ts); child processes that run the cdktf app
// (the CDK Terrain equivalence test) synthesize it as this repository's CI does.
process.env.SML_SITE_PLACEHOLDERS ??= "allow";

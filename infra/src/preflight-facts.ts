/**
 * What the deploy preflight (scripts/delivery/preflight.sh) checks an AWS account against, derived from the
 * config so that no number is written twice: `tsx infra/src/preflight-facts.ts <env>` prints one JSON object.
 */
import {
  accountConcurrency,
  getEnvironmentConfig,
  LAMBDA_UNRESERVED_MINIMUM,
  reservedConcurrency,
  SHARED_CONFIG,
} from "./config";
import { AURORA_ENGINE } from "./constructs/database";
import { deployRoleName } from "./stacks/bootstrap-stack";

const name = process.argv[2] ?? "";
const config = getEnvironmentConfig(name);
// Both environments' stacks and the previews live in one account (docs/deploy.md): the quota must cover every
// reservation (the same figure docs/deploy.md prints; infra/tests/concurrency.test.ts checks both against synth).
const account = accountConcurrency();
const facts = {
  environment: config.name,
  region: config.region,
  reservedConcurrency: reservedConcurrency(config),
  accountReservedConcurrency: account.reserved,
  openPreviews: account.previews,
  unreservedMinimum: LAMBDA_UNRESERVED_MINIMUM,
  requiredConcurrencyQuota: account.requiredQuota,
  engine: AURORA_ENGINE,
  engineVersion: config.database.engineVersion,
  stateBucket: SHARED_CONFIG.state.bucket,
  stateRegion: SHARED_CONFIG.state.region,
  deployRole: deployRoleName(SHARED_CONFIG, config.name),
};
process.stdout.write(`${JSON.stringify(facts)}\n`);

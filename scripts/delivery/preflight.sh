#!/usr/bin/env bash
# Checks, before a deploy applies anything, what a first apply into an account needs and Terraform cannot check
# ahead: the account's Lambda concurrency quota covers what the stacks reserve, the Aurora engine version is
# offered in the region, the Terraform state bucket and the environment's deploy role exist. The numbers come from
# the config (infra/src/preflight-facts.ts), not from this script. Runs every check, then fails listing what to do.
# First step of deploy.yml and of docs/deploy.md. Needs the AWS CLI, jq and credentials for the account.
#
# Usage: scripts/delivery/preflight.sh <environment>
set -euo pipefail

environment="${1:?usage: preflight.sh <environment> (dev or prd)}"
cd "$(dirname "$0")/../.."

facts="$(npx --no-install tsx infra/src/preflight-facts.ts "$environment")"
fact() { jq -er "$1" <<<"$facts"; }
region="$(fact .region)"

# Credentials first: without them every check below would fail too and blame the account (a missing bucket, a
# missing role). Said once, and nothing else is checked.
if ! identity="$(aws sts get-caller-identity --output json 2>&1)"; then
  echo "preflight: no usable AWS credentials in this shell (aws sts get-caller-identity: ${identity//$'\n'/ }). Sign in to the account of infra/src/config/site.ts (accounts.${environment}) first, as an administrator or the deploy role: e.g. \`aws sso login\` and export AWS_PROFILE (docs/deploy.md, \"Fork it\", step 5). Nothing was checked." >&2
  exit 1
fi

problems=()
ok() { echo "preflight: ok   $*"; }
problem() {
  echo "preflight: FAIL $1" >&2
  problems+=("$1")
}

# Lambda concurrency: reservations fail the apply halfway when they would leave fewer than 100 unreserved.
required="$(fact .requiredConcurrencyQuota)"
reserved="$(fact .accountReservedConcurrency)"
if settings="$(aws lambda get-account-settings --region "$region" --output json 2>&1)"; then
  quota="$(jq -er '.AccountLimit.ConcurrentExecutions' <<<"$settings")"
  if ((quota >= required)); then
    ok "Lambda concurrency quota ${quota} >= ${required} (${reserved} reserved by the stacks + $(fact .unreservedMinimum) Lambda keeps unreserved)"
  else
    problem "Lambda concurrency quota in ${region} is ${quota}; the stacks reserve ${reserved} and Lambda keeps $(fact .unreservedMinimum) unreserved, so it must be at least ${required}. Request an increase (it can take a day): aws service-quotas request-service-quota-increase --region ${region} --service-code lambda --quota-code L-B99A9384 --desired-value ${required}"
  fi
else
  problem "cannot read the Lambda account settings in ${region} (${settings}); check the credentials and lambda:GetAccountSettings"
fi

# Aurora engine version: an unknown version fails CreateDBCluster only after the network was built.
engine="$(fact .engine)"
version="$(fact .engineVersion)"
if versions="$(aws rds describe-db-engine-versions --region "$region" --engine "$engine" --engine-version "$version" --output json 2>&1)"; then
  if jq -e --arg v "$version" '[.DBEngineVersions[] | select(.EngineVersion == $v)] | length > 0' <<<"$versions" >/dev/null; then
    ok "${engine} ${version} is offered in ${region}"
  else
    problem "${engine} ${version} is not offered in ${region}. Pick a version that is (aws rds describe-db-engine-versions --region ${region} --engine ${engine} --query 'DBEngineVersions[].EngineVersion') and set database.engineVersion in infra/src/config/environments.ts"
  fi
else
  problem "cannot list ${engine} engine versions in ${region} (${versions})"
fi

# State bucket: created by the bootstrap stack; without it `terraform init` fails.
bucket="$(fact .stateBucket)"
if aws s3api head-bucket --bucket "$bucket" --region "$(fact .stateRegion)" >/dev/null 2>&1; then
  ok "state bucket ${bucket} exists"
else
  problem "state bucket ${bucket} does not exist or is not readable: bootstrap the account first (scripts/delivery/bootstrap.sh; docs/deploy.md, \"Fork it\", step 3), or set state.bucket in infra/src/config/site.ts to the bucket it created"
fi

# Deploy role: in the workflow these credentials are that role; run by hand, ask IAM.
role="$(fact .deployRole)"
caller="$(jq -r '.Arn // ""' <<<"$identity")"
if [[ "$caller" =~ :assumed-role/${role}/ ]]; then
  ok "running as deploy role ${role}"
elif aws iam get-role --role-name "$role" --output json >/dev/null 2>&1; then
  ok "deploy role ${role} exists"
else
  problem "deploy role ${role} does not exist: bootstrap the account (scripts/delivery/bootstrap.sh; docs/deploy.md, \"Fork it\", step 3), then set the GitHub environment variable AWS_DEPLOY_ROLE_ARN to its deploy_role_arn_${environment} output (scripts/delivery/github-variables.sh, step 4)"
fi

if ((${#problems[@]} > 0)); then
  echo "preflight: ${environment} is not ready to deploy (${#problems[@]} problem(s)); nothing was applied" >&2
  exit 1
fi
echo "preflight: ${environment} is ready to deploy"

#!/usr/bin/env bash
# The bootstrap stack's first apply and its state migration, as one command (docs/deploy.md, "Fork it", step 3).
# The state bucket is created by this very stack, so its first apply keeps the state on local disk; once the bucket
# exists, `terraform init -migrate-state` moves that state into it, and a plan must then show no changes:
#   1. synthesize the bootstrap stack with a local backend (SML_BOOTSTRAP_LOCAL_STATE=1) and apply it;
#   2. synthesize it again with its S3 backend into the same working directory (the local state and .terraform/
#      stay) and run `terraform init -migrate-state -force-copy`;
#   3. `terraform plan -detailed-exitcode` must exit 0; the local state file is removed only then.
# Refuses, before anything is applied: a site with placeholders, credentials for another account than the site's,
# and an account whose state bucket exists already (then it is bootstrapped: `npm run apply -- <bootstrap stack>`),
# unless an earlier run left its local state behind (an apply or a migration that failed halfway, after the bucket
# was created): then it resumes from that state, applying again with it and migrating it.
# Runs with administrator credentials in the shell (it creates IAM roles). Needs terraform, jq, the AWS CLI.
#
# Usage: scripts/delivery/bootstrap.sh [--auto-approve]
set -euo pipefail

approve=()
case "${1:-}" in
  "") ;;
  --auto-approve) approve=(-auto-approve) ;;
  *) echo "bootstrap: unknown argument '$1'; usage: scripts/delivery/bootstrap.sh [--auto-approve]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."

# The site first: a placeholder left in infra/src/config/site.ts stops here, naming the setting.
facts="$(npx --no-install tsx infra/src/site-facts.ts)"
fact() { jq -er "$1" <<<"$facts"; }
stack="$(fact '.stacks[0]')"
account="$(fact '.accounts | to_entries[0].value')"
bucket="$(fact .stateBucket)"
region="$(fact .region)"
export AWS_REGION="$region" AWS_DEFAULT_REGION="$region" CHECKPOINT_DISABLE=1

if ! identity="$(aws sts get-caller-identity --output json 2>&1)"; then
  echo "bootstrap: no usable AWS credentials in this shell (aws sts get-caller-identity: ${identity//$'\n'/ }); sign in to account ${account} as an administrator first (docs/deploy.md, \"Fork it\", step 3). Nothing was applied." >&2
  exit 1
fi
caller_account="$(jq -er .Account <<<"$identity")"
if [[ "$caller_account" != "$account" ]]; then
  echo "bootstrap: the credentials are for account ${caller_account}, the site's is ${account} (accounts in infra/src/config/site.ts). Nothing was applied." >&2
  exit 1
fi
outdir="${CDKTF_OUTDIR:-cdktf.out}"
work="${outdir}/stacks/${stack}"
local_state="${work}/terraform.bootstrap.tfstate"
# A state file left by an earlier run is the only record of what that run created: resume from it, never start over
# (a second first apply would try to create the bucket and roles again, and fail on them).
resume=0
if [[ -s "$local_state" ]]; then
  resume=1
  echo "bootstrap: resuming from the local state an earlier run left in ${local_state}" >&2
elif aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  echo "bootstrap: the state bucket ${bucket} exists already: this account is bootstrapped. Change the bootstrap stack with \`npm run apply -- ${stack}\`. Nothing was applied." >&2
  exit 1
fi

synth() { # <outdir> [env...]: the app as cdktf.json runs it, bootstrap and registry only (no environment's settings)
  local out="$1"
  shift
  env "$@" CDKTF_OUTDIR="$out" SML_ENVIRONMENTS=none SML_SITE_CHECK=deploy node --import tsx infra/src/main.ts
}
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

echo "bootstrap: 1/3 apply ${stack} with local state (account ${account}, ${region})" >&2
if ((resume)); then
  # Into a scratch folder, then only the configuration is copied: the working directory keeps its state file.
  synth "${scratch}/local" SML_BOOTSTRAP_LOCAL_STATE=1
  cp "${scratch}/local/stacks/${stack}/cdk.tf.json" "${work}/cdk.tf.json"
  # -reconfigure: an earlier run may have initialised the S3 backend here already; the local state is the truth.
  terraform -chdir="$work" init -input=false -reconfigure
else
  synth "$outdir" SML_BOOTSTRAP_LOCAL_STATE=1
  terraform -chdir="$work" init -input=false
fi
terraform -chdir="$work" apply "${approve[@]}"

echo "bootstrap: 2/3 move the state into s3://${bucket}" >&2
synth "${scratch}/s3"
cp "${scratch}/s3/stacks/${stack}/cdk.tf.json" "${work}/cdk.tf.json"
terraform -chdir="$work" init -input=false -migrate-state -force-copy

echo "bootstrap: 3/3 plan against the migrated state (must show no changes)" >&2
code=0
terraform -chdir="$work" plan -input=false -detailed-exitcode || code=$?
if ((code != 0)); then
  echo "bootstrap: the plan after the migration exited ${code} (0 = no changes): the local state stays in ${local_state}, and running this script again resumes from it; see docs/deploy.md, \"Fork it\", step 3" >&2
  exit 1
fi
rm -f "$local_state" "${local_state}.backup"
echo "bootstrap: ${stack} applied; its state is in s3://${bucket}. Next: scripts/delivery/github-variables.sh (step 4)" >&2

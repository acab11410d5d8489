#!/usr/bin/env bash
# Drift check of one synthesized stack: `terraform plan -detailed-exitcode` against the deployed state (0: no
# changes, 2: changes, 1: error; Terraform CLI docs, "Command: plan"), with the image digest the environment runs
# now, so that only changes made outside Terraform (or never applied) show. Writes the JSON plan when there are
# changes and prints the exit code on stdout; exits non-zero only when the plan itself failed.
#
# Usage: scripts/delivery/drift-plan.sh <stack-id> <plan.json>
# Needs: `npm run synth` first, terraform, jq, the AWS CLI with read access (the plan role).
set -euo pipefail

stack="${1:?usage: drift-plan.sh <stack-id> <plan.json>}"
out="${2:?usage: drift-plan.sh <stack-id> <plan.json>}"
dir="cdktf.out/stacks/${stack}"
[[ -f "${dir}/cdk.tf.json" ]] || { echo "drift-plan: ${dir}/cdk.tf.json not found; run npm run synth" >&2; exit 2; }

terraform -chdir="$dir" init -input=false -no-color >&2

# The plan role takes no state lock (drift.yml plans with -lock=false; the role may not write lock files, so a
# pull request's code cannot delete a deploy's). A deploy in flight holds the S3 lock object <key>.tflock (S3
# backend, use_lockfile): wait until it is gone, reading it, so a half-applied stack is not reported as drift.
bucket="$(jq -r '.terraform.backend.s3.bucket // empty' "${dir}/cdk.tf.json")"
key="$(jq -r '.terraform.backend.s3.key // empty' "${dir}/cdk.tf.json")"
if [[ -n "$bucket" && -n "$key" ]]; then
  waited=0
  limit="${DRIFT_LOCK_WAIT_SECONDS:-600}"
  while aws s3api head-object --bucket "$bucket" --key "${key}.tflock" >/dev/null 2>&1; do
    if ((waited >= limit)); then
      echo "drift-plan: s3://${bucket}/${key}.tflock is still there after ${limit} s: a deploy holds ${stack}'s state; try again when it is done" >&2
      exit 1
    fi
    echo "drift-plan: a deploy holds ${stack}'s state lock; waiting (${waited} s)" >&2
    sleep "${DRIFT_LOCK_POLL_SECONDS:-15}"
    waited=$((waited + ${DRIFT_LOCK_POLL_SECONDS:-15}))
  done
fi

digest="$("$(dirname "$0")/stack-image-digest.sh" "$stack")"
if [[ -n "$digest" ]]; then export TF_VAR_prediction_image_digest="$digest"; fi

code=0
terraform -chdir="$dir" plan -input=false -no-color -detailed-exitcode -out=tfplan >&2 || code=$?
case "$code" in
  0) ;;
  2) terraform -chdir="$dir" show -json tfplan >"$out" ;;
  *) echo "drift-plan: terraform plan of ${stack} failed (exit ${code})" >&2; exit "$code" ;;
esac
echo "$code"

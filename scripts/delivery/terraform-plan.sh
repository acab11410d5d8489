#!/usr/bin/env bash
# `cdktf diff` for one synthesized stack, keeping the plan: terraform init + plan in the stack's folder (what
# cdktf diff runs), then `terraform show -json` for the pull-request summary. Environment stacks are planned
# with the image digest they run now, so the plan shows only what the code changes.
#
# Usage: scripts/delivery/terraform-plan.sh <stack-id> <plan.json>
# Needs: `npm run synth` first, terraform, jq, the AWS CLI with read access (the plan role).
set -euo pipefail

stack="${1:?usage: terraform-plan.sh <stack-id> <plan.json>}"
out="${2:?usage: terraform-plan.sh <stack-id> <plan.json>}"
dir="cdktf.out/stacks/${stack}"
[[ -f "${dir}/cdk.tf.json" ]] || { echo "terraform-plan: ${dir}/cdk.tf.json not found; run npm run synth" >&2; exit 2; }

terraform -chdir="$dir" init -input=false -no-color

# The digest the environment runs now, unless the caller chose one (`npm run plan -- <stack> --image-digest ...`).
if [[ -z "${TF_VAR_prediction_image_digest:-}" ]]; then
  TF_VAR_prediction_image_digest="$("$(dirname "$0")/stack-image-digest.sh" "$stack")"
  [[ -n "$TF_VAR_prediction_image_digest" ]] || unset TF_VAR_prediction_image_digest
fi
export TF_VAR_prediction_image_digest

terraform -chdir="$dir" plan -input=false -no-color -out=tfplan
# The JSON plan holds attribute values in clear text: it feeds the summary and is never uploaded.
terraform -chdir="$dir" show -json tfplan >"$out"

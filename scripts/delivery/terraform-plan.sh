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

if jq -e '.variable.prediction_image_digest' "${dir}/cdk.tf.json" >/dev/null; then
  function_name="$(jq -r '[.resource.aws_lambda_function[] | select(.package_type == "Image") | .function_name][0]' "${dir}/cdk.tf.json")"
  repository="$(jq -r '[.data.aws_ecr_repository[]][0].name' "${dir}/cdk.tf.json")"
  TF_VAR_prediction_image_digest="$("$(dirname "$0")/current-image-digest.sh" "$function_name" "$repository")"
  export TF_VAR_prediction_image_digest
fi

terraform -chdir="$dir" plan -input=false -no-color -out=tfplan
# The JSON plan holds attribute values in clear text: it feeds the summary and is never uploaded.
terraform -chdir="$dir" show -json tfplan >"$out"

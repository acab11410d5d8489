#!/usr/bin/env bash
# Prints the prediction image digest a synthesized environment stack runs now (scripts/delivery/current-image-digest.sh
# for the stack's image function and registry), for commands that must not change the image: a drift plan, a
# preview's destroy. Prints nothing for a stack without the image variable.
#
# Usage: scripts/delivery/stack-image-digest.sh <stack-id>      (after `npm run synth`)
set -euo pipefail

stack="${1:?usage: stack-image-digest.sh <stack-id>}"
tf="cdktf.out/stacks/${stack}/cdk.tf.json"
[[ -f "$tf" ]] || { echo "stack-image-digest: ${tf} not found; run npm run synth" >&2; exit 2; }
jq -e '.variable.prediction_image_digest' "$tf" >/dev/null || exit 0
function_name="$(jq -r '[.resource.aws_lambda_function[] | select(.package_type == "Image") | .function_name][0]' "$tf")"
repository="$(jq -r '[.data.aws_ecr_repository[]][0].name' "$tf")"
"$(dirname "$0")/current-image-digest.sh" "$function_name" "$repository"

#!/usr/bin/env bash
# Prints the digest (sha256:...) of the prediction image a synthesized environment stack runs now, found from the
# stack's own cdk.tf.json (its image function's name and its registry repository), or nothing for a stack without
# an image (bootstrap, registry). The plan workflow and `npm run plan` / `npm run apply` use it, so a plan shows
# only what the code changes and the same digest everywhere. Needs `npm run synth` first, jq, the AWS CLI.
#
# Usage: scripts/delivery/stack-image-digest.sh <stack-id>
# Env:   CDKTF_OUTDIR  where the synthesized stacks are (default cdktf.out, as for cdktf)
set -euo pipefail

stack="${1:?usage: stack-image-digest.sh <stack-id>}"
file="${CDKTF_OUTDIR:-cdktf.out}/stacks/${stack}/cdk.tf.json"
[[ -f "$file" ]] || { echo "stack-image-digest: ${file} not found; run npm run synth" >&2; exit 2; }

jq -e '.variable.prediction_image_digest' "$file" >/dev/null || exit 0
function_name="$(jq -er '[.resource.aws_lambda_function[] | select(.package_type == "Image") | .function_name][0]' "$file")"
repository="$(jq -er '[.data.aws_ecr_repository[]][0].name' "$file")"
"$(dirname "$0")/current-image-digest.sh" "$function_name" "$repository"

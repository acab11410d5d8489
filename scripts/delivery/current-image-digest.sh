#!/usr/bin/env bash
# Prints the digest (sha256:...) of the prediction image an environment runs now, so that a plan shows only the
# infrastructure a pull request changes and not an image swap. Falls back to the newest image in the registry
# when the function does not exist yet (first deploy). Needs the AWS CLI with read access.
#
# Usage: scripts/delivery/current-image-digest.sh <function-name> <repository-name>
set -euo pipefail

function_name="${1:?usage: current-image-digest.sh <function-name> <repository-name>}"
repository="${2:?usage: current-image-digest.sh <function-name> <repository-name>}"

if image_uri="$(aws lambda get-function --function-name "$function_name" \
  --query 'Code.ResolvedImageUri' --output text 2>/dev/null)" && [[ "$image_uri" == *@sha256:* ]]; then
  echo "${image_uri##*@}"
  exit 0
fi

digest="$(aws ecr describe-images --repository-name "$repository" \
  --query 'sort_by(imageDetails, &imagePushedAt)[-1].imageDigest' --output text)"
if [[ "$digest" != sha256:* ]]; then
  echo "current-image-digest: no image in ${repository}; deploy once (docs/deploy.md) before planning" >&2
  exit 1
fi
echo "$digest"

#!/usr/bin/env bash
# Prints the digest (sha256:...) of the prediction image an environment runs now, so that a plan shows only the
# infrastructure a pull request changes and not an image swap. Only when the function does not exist yet (Lambda
# answers ResourceNotFoundException: a first deploy) does it fall back to the newest image in the registry, and it
# says so on stderr. Any other error (denied, throttled, no credentials) fails with Lambda's message: proposing a
# registry image then would plan an image swap nobody asked for. Needs the AWS CLI with read access.
#
# Usage: scripts/delivery/current-image-digest.sh <function-name> <repository-name>
set -euo pipefail

function_name="${1:?usage: current-image-digest.sh <function-name> <repository-name>}"
repository="${2:?usage: current-image-digest.sh <function-name> <repository-name>}"

errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT

if image_uri="$(aws lambda get-function --function-name "$function_name" \
  --query 'Code.ResolvedImageUri' --output text 2>"$errors")"; then
  if [[ "$image_uri" != *@sha256:* ]]; then
    echo "current-image-digest: ${function_name} runs '${image_uri}', which names no digest; is it an image function?" >&2
    exit 1
  fi
  echo "${image_uri##*@}"
  exit 0
fi
if ! grep -q 'ResourceNotFoundException' "$errors"; then
  echo "current-image-digest: cannot read ${function_name} from Lambda: $(cat "$errors")" >&2
  exit 1
fi

digest="$(aws ecr describe-images --repository-name "$repository" \
  --query 'sort_by(imageDetails, &imagePushedAt)[-1].imageDigest' --output text)"
if [[ "$digest" != sha256:* ]]; then
  echo "current-image-digest: ${function_name} does not exist yet and ${repository} holds no image; deploy once (docs/deploy.md) before planning" >&2
  exit 1
fi
echo "current-image-digest: ${function_name} does not exist yet (first deploy); planning with the newest image in ${repository}, ${digest}" >&2
echo "$digest"

#!/usr/bin/env bash
# Destroys the preview stack of one pull request (`sml-pr-<number>`, docs/deploy.md "Previews") with the code
# checked out now: Terraform destroys what the stack's own state holds, so a newer or older checkout destroys the
# same resources. A preview whose state is gone (never deployed, already destroyed) is reported and skipped.
#
# Usage: scripts/delivery/preview-destroy.sh <pull-request-number>
# Needs: npm ci done, terraform, jq, the AWS CLI with the preview deploy role, SML_ALARM_EMAIL_PREVIEW.
set -euo pipefail

pr="${1:?usage: preview-destroy.sh <pull-request-number>}"
facts="$(npx tsx infra/src/preview-facts.ts "$pr")"
stack="$(jq -er '.stack' <<<"$facts")"
if ! aws s3api head-object --bucket "$(jq -er '.stateBucket' <<<"$facts")" --key "$(jq -er '.stateKey' <<<"$facts")" >/dev/null 2>&1; then
  echo "preview-destroy: ${stack} has no state; nothing to destroy"
  exit 0
fi
SML_PREVIEW_PR="$pr" npm run synth
# Any valid digest will do for a destroy; the one the preview runs keeps the plan quiet.
TF_VAR_prediction_image_digest="$("$(dirname "$0")/stack-image-digest.sh" "$stack")"
export TF_VAR_prediction_image_digest
SML_PREVIEW_PR="$pr" npx cdktf destroy "$stack" --auto-approve
echo "preview-destroy: ${stack} destroyed"

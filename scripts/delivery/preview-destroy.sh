#!/usr/bin/env bash
# Destroys the preview stack of one pull request (`sml-pr-<number>`, docs/deploy.md "Previews") with the code
# checked out now: Terraform destroys what the stack's own state holds, so a newer or older checkout destroys the
# same resources. After a successful destroy it deletes the state object: Terraform's S3 backend keeps an empty
# state after a destroy, and the daily sweep would otherwise "destroy" the same preview again every day. A failed
# destroy keeps the state, so the next run retries. A preview without state (never deployed, already destroyed)
# is reported and skipped; a state that holds no resources (left by a destroy before this script deleted states)
# is deleted without running Terraform.
#
# Usage: scripts/delivery/preview-destroy.sh <pull-request-number>
# Needs: npm ci done, terraform, jq, the AWS CLI with the preview deploy role, SML_ALARM_EMAIL_PREVIEW.
# Env:   CDKTF_OUTDIR  where the synthesized stacks are (default cdktf.out, as for cdktf)
set -euo pipefail

pr="${1:?usage: preview-destroy.sh <pull-request-number>}"
[[ "$pr" =~ ^[1-9][0-9]*$ ]] || { echo "preview-destroy: ${pr} is not a pull request number" >&2; exit 2; }
facts="$(npx --no-install tsx infra/src/preview-facts.ts "$pr")"
stack="$(jq -er '.stack' <<<"$facts")"
bucket="$(jq -er '.stateBucket' <<<"$facts")"
key="$(jq -er '.stateKey' <<<"$facts")"
if ! aws s3api head-object --bucket "$bucket" --key "$key" >/dev/null 2>&1; then
  echo "preview-destroy: ${stack} has no state; nothing to destroy"
  exit 0
fi

state="$(mktemp)"
trap 'rm -f "$state"' EXIT
aws s3 cp "s3://${bucket}/${key}" "$state" --only-show-errors
if jq -e '(.resources // []) | length == 0' "$state" >/dev/null; then
  aws s3api delete-object --bucket "$bucket" --key "$key" >/dev/null
  echo "preview-destroy: ${stack} holds no resources (destroyed before); its state s3://${bucket}/${key} is deleted"
  exit 0
fi

SML_PREVIEW_PR="$pr" npm run synth
# Any valid digest will do for a destroy; the one the preview runs keeps the plan quiet.
TF_VAR_prediction_image_digest="$("$(dirname "$0")/stack-image-digest.sh" "$stack")"
export TF_VAR_prediction_image_digest
SML_PREVIEW_PR="$pr" npx cdktf destroy "$stack" --auto-approve
aws s3api delete-object --bucket "$bucket" --key "$key" >/dev/null
echo "preview-destroy: ${stack} destroyed; its state s3://${bucket}/${key} is deleted"

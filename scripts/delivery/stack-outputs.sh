#!/usr/bin/env bash
# Prints a synthesized stack's Terraform outputs as one flat JSON object ({"api_url": "...", ...}), reading the
# stack's state from its S3 backend. Run `npm run synth` first; needs terraform, jq and AWS credentials that
# can read the state bucket.
#
# --from-state reads the outputs straight from the state object (s3://<state bucket>/<prefix>/<stack>/terraform.tfstate,
# names from infra/src/site-facts.ts; Terraform's state holds each root output's value under `outputs`): no synth,
# no build, no provider download, for jobs that only read outputs (integration.yml). Needs jq, npx tsx, the AWS CLI
# with s3:GetObject on the state (and kms:Decrypt on its key).
#
# Usage: scripts/delivery/stack-outputs.sh <stack-id> [--from-state]      e.g. sml-dev
# Env:   CDKTF_OUTDIR  where the synthesized stacks are (default cdktf.out, as for cdktf)
set -euo pipefail

stack="${1:?usage: stack-outputs.sh <stack-id> [--from-state]}"

if [[ "${2:-}" == --from-state ]]; then
  [[ "$stack" =~ ^[a-z0-9-]+$ ]] || { echo "stack-outputs: '${stack}' is not a stack id" >&2; exit 2; }
  facts="$(cd "$(dirname "$0")/../.." && npx --no-install tsx infra/src/site-facts.ts)"
  bucket="$(jq -er '.stateBucket' <<<"$facts")"
  key="$(jq -er '.stateKeyPrefix' <<<"$facts")/${stack}/terraform.tfstate"
  state="$(aws s3 cp "s3://${bucket}/${key}" - --only-show-errors)" ||
    { echo "stack-outputs: cannot read s3://${bucket}/${key}; is ${stack} deployed, and may these credentials read its state?" >&2; exit 1; }
  jq -e '.version == 4 and (.outputs | type == "object")' <<<"$state" >/dev/null ||
    { echo "stack-outputs: s3://${bucket}/${key} is not a Terraform state (version 4) with outputs" >&2; exit 1; }
  jq '.outputs | map_values(.value)' <<<"$state"
  exit 0
elif [[ -n "${2:-}" ]]; then
  echo "stack-outputs: unknown argument '$2' (--from-state)" >&2
  exit 2
fi

dir="${CDKTF_OUTDIR:-cdktf.out}/stacks/${stack}"
[[ -f "${dir}/cdk.tf.json" ]] || { echo "stack-outputs: ${dir}/cdk.tf.json not found; run npm run synth" >&2; exit 2; }

if [[ ! -d "${dir}/.terraform" ]]; then
  terraform -chdir="$dir" init -input=false -no-color >/dev/null
fi
terraform -chdir="$dir" output -json | jq 'map_values(.value)'

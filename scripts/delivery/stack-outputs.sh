#!/usr/bin/env bash
# Prints a synthesized stack's Terraform outputs as one flat JSON object ({"api_url": "...", ...}), reading the
# stack's state from its S3 backend. Run `npm run synth` first; needs terraform, jq and AWS credentials that
# can read the state bucket.
#
# Usage: scripts/delivery/stack-outputs.sh <stack-id>      e.g. sml-dev
# Env:   CDKTF_OUTDIR  where the synthesized stacks are (default cdktf.out, as for cdktf)
set -euo pipefail

stack="${1:?usage: stack-outputs.sh <stack-id>}"
dir="${CDKTF_OUTDIR:-cdktf.out}/stacks/${stack}"
[[ -f "${dir}/cdk.tf.json" ]] || { echo "stack-outputs: ${dir}/cdk.tf.json not found; run npm run synth" >&2; exit 2; }

if [[ ! -d "${dir}/.terraform" ]]; then
  terraform -chdir="$dir" init -input=false -no-color >/dev/null
fi
terraform -chdir="$dir" output -json | jq 'map_values(.value)'

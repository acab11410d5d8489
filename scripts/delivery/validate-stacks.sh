#!/usr/bin/env bash
# terraform fmt -check and terraform validate for every synthesized stack (cdktf.out/stacks/<id>/cdk.tf.json).
# `init -backend=false` downloads the providers but touches no state, so this needs no AWS credentials.
# Checks every stack before failing, so one run lists every broken stack.
#
# Usage: scripts/delivery/validate-stacks.sh [stacks-dir]       (default cdktf.out/stacks)
set -euo pipefail

stacks_dir="${1:-cdktf.out/stacks}"
shopt -s nullglob
stacks=("$stacks_dir"/*/)
((${#stacks[@]} > 0)) || { echo "validate-stacks: no stacks in ${stacks_dir}; run npm run synth" >&2; exit 2; }

# cdktf writes JSON, which fmt leaves alone; the check guards any hand-written .tf that joins the stacks.
terraform fmt -check -recursive "$stacks_dir"

failed=()
for dir in "${stacks[@]}"; do
  stack="$(basename "$dir")"
  echo "== ${stack}"
  if terraform -chdir="$dir" init -backend=false -input=false -no-color >/dev/null &&
    terraform -chdir="$dir" validate -no-color; then
    continue
  fi
  failed+=("$stack")
done

if ((${#failed[@]} > 0)); then
  echo "validate-stacks: invalid: ${failed[*]}" >&2
  exit 1
fi
echo "validate-stacks: ${#stacks[@]} stack(s) valid"

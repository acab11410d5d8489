#!/usr/bin/env bash
# Refreshes the committed provider lock files (infra/locks/<kind>.terraform.lock.hcl; the app copies each next to
# its stack's cdk.tf.json at synth, infra/src/provider-locks.ts): `terraform providers lock` in every synthesized
# stack for every platform people and CI run on, written back to infra/locks/. It records the hashes of the packages
# Terraform downloads, and fails when a package does not match a hash already recorded (Terraform docs, "Command:
# providers lock"). CI runs it after the synth and offers the result as an artifact when it differs.
#
# Usage: scripts/delivery/provider-locks.sh [<outdir>]      (default CDKTF_OUTDIR or cdktf.out)
# Needs: `npm run synth` first, terraform, the Terraform registry.
set -euo pipefail

outdir="${1:-${CDKTF_OUTDIR:-cdktf.out}}"
locks="$(cd "$(dirname "$0")/../.." && pwd)/infra/locks"
platforms=(linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64)

shopt -s nullglob
stacks=("${outdir}"/stacks/*/)
((${#stacks[@]} > 0)) || { echo "provider-locks: no stacks in ${outdir}/stacks; run npm run synth" >&2; exit 2; }

args=()
for p in "${platforms[@]}"; do args+=("-platform=${p}"); done
for dir in "${stacks[@]}"; do
  stack="$(basename "$dir")"
  # Named by kind, without the project (infra/src/provider-locks.ts lockFileOf): previews share `pr`.
  if [[ "$stack" =~ -(bootstrap|registry|dev|prd|pr)(-[1-9][0-9]*)?$ ]]; then stack="${BASH_REMATCH[1]}"; fi
  [[ -f "${dir}.terraform.lock.hcl" ]] || { echo "provider-locks: ${dir} has no lock file; synthesize with this checkout's app" >&2; exit 1; }
  terraform -chdir="$dir" providers lock "${args[@]}" >&2
  cp "${dir}.terraform.lock.hcl" "${locks}/${stack}.terraform.lock.hcl"
  echo "provider-locks: ${stack} locked for ${platforms[*]}"
done

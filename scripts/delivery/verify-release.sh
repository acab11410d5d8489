#!/usr/bin/env bash
# prd's check of dev's release before anything uses it (deploy.yml): the release was downloaded into its own folder,
# never over the checkout. Every file in it must carry a GitHub artifact attestation signed by this repository's
# .github/workflows/deploy.yml running on refs/heads/main at the commit being promoted, on a GitHub-hosted runner
# (`gh attestation verify`: the Sigstore certificate's workflow identity, source ref and source digest, which no
# other workflow, branch, commit or pull request can obtain), and the zips must match the attested manifest's
# hashes for this commit. Only then are the zips copied to dist/functions/, where the environment stack packages
# them from. deploy.yml runs this file from its own (main's) checkout, not from the commit it deploys.
#
# Usage: scripts/delivery/verify-release.sh <release-dir> <commit-sha> [<root>]   (root: the checkout, default
#        this repository's; the zips go to <root>/dist/functions/; its node_modules provide tsx)
# Needs: gh (GH_TOKEN), jq, npx tsx, GITHUB_REPOSITORY.
set -euo pipefail

dir="${1:?usage: verify-release.sh <release-dir> <commit-sha>}"
commit="${2:?usage: verify-release.sh <release-dir> <commit-sha>}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"
[[ "$commit" =~ ^[0-9a-f]{40}$ ]] || { echo "verify-release: ${commit} is not a full commit SHA" >&2; exit 2; }
[[ -f "${dir}/release.json" ]] || { echo "verify-release: ${dir}/release.json not found; download dev's release there first" >&2; exit 2; }
repo="$(cd "$(dirname "$0")/../.." && pwd)"
root="$(cd "${3:-$repo}" && pwd)"
dir="$(cd "$dir" && pwd)"

mapfile -t files < <(jq -r '.artifacts | keys[]' "${dir}/release.json")
failed=()
for file in release.json "${files[@]}"; do
  [[ "$file" != *..* && "$file" != /* ]] || { echo "verify-release: refusing path ${file}" >&2; exit 1; }
  if gh attestation verify "${dir}/${file}" --repo "$GITHUB_REPOSITORY" \
    --signer-workflow "${GITHUB_REPOSITORY}/.github/workflows/deploy.yml" \
    --source-ref refs/heads/main --source-digest "$commit" --deny-self-hosted-runners >/dev/null; then
    echo "verify-release: ${file} attested by deploy.yml on main at ${commit}"
  else
    failed+=("$file")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "verify-release: no attestation from deploy.yml on main at ${commit} for: ${failed[*]}; prd deploys only what dev's deploy run on main built" >&2
  exit 1
fi

# tsx resolves from here upwards: deploy.yml's copy of this script sits inside the deployed checkout.
(cd "$repo" && node --import tsx scripts/delivery/release-manifest.ts verify "${dir}/release.json" "$commit" "$dir")
for file in "${files[@]}"; do
  mkdir -p "$(dirname "${root}/${file}")"
  cp "${dir}/${file}" "${root}/${file}"
done
echo "verify-release: ${#files[@]} verified zips copied into place"

#!/usr/bin/env bash
# Prints the id of the workflow run that uploaded dev's release of a commit (the artifact `release-<commit>`,
# written by deploy.yml after dev's smoke test passed), newest first, unexpired. A prd deploy promotes exactly
# that release; without one there is nothing tested to promote, and it fails here, before any credentials.
#
# Usage: scripts/delivery/find-release.sh <commit-sha>
# Needs: gh (GH_TOKEN with actions: read), GITHUB_REPOSITORY.
set -euo pipefail

commit="${1:?usage: find-release.sh <commit-sha>}"
[[ "$commit" =~ ^[0-9a-f]{40}$ ]] || { echo "find-release: ${commit} is not a full commit SHA" >&2; exit 2; }
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"

run_id="$(gh api "repos/${GITHUB_REPOSITORY}/actions/artifacts?name=release-${commit}&per_page=100" \
  --jq '[.artifacts[] | select(.expired | not)] | sort_by(.created_at) | last | .workflow_run.id // empty')"
if [[ -z "$run_id" ]]; then
  echo "find-release: no unexpired release-${commit} artifact: deploy ${commit} to dev first (deploy.yml, environment dev); prd only promotes what dev ran" >&2
  exit 1
fi
echo "$run_id"

#!/usr/bin/env bash
# Prints the id of the workflow run that uploaded dev's release of a commit (the artifact `release-<commit>`,
# written by deploy.yml after dev's smoke test passed), newest first, unexpired. Any workflow run of the repository
# can upload an artifact of that name (a pull request's included), so the name proves nothing: a run counts only
# when the API says it is a successful run of .github/workflows/deploy.yml, started by hand (workflow_dispatch)
# from main in this repository at this very commit (its head_sha: main's deploy.yml releases only the commit it
# runs from, never a branch it was asked to deploy to dev), for dev (its run-name "deploy dev @ <ref>"). A
# prd deploy promotes exactly that release (and verifies the files' attestations in the deploy job); without one
# there is nothing tested to promote, and it fails here, before any credentials, naming the runs it refused.
#
# Usage: scripts/delivery/find-release.sh <commit-sha>
# Needs: gh (GH_TOKEN with actions: read), jq, GITHUB_REPOSITORY.
set -euo pipefail

commit="${1:?usage: find-release.sh <commit-sha>}"
[[ "$commit" =~ ^[0-9a-f]{40}$ ]] || { echo "find-release: ${commit} is not a full commit SHA" >&2; exit 2; }
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"
workflow=".github/workflows/deploy.yml"

# Run ids grow with time: newest first.
runs="$(gh api "repos/${GITHUB_REPOSITORY}/actions/artifacts?name=release-${commit}&per_page=100" \
  --jq '.artifacts[] | select(.expired | not) | .workflow_run.id' | sort -rnu)"
if [[ -z "$runs" ]]; then
  echo "find-release: no unexpired release-${commit} artifact: deploy ${commit} to dev first (deploy.yml, environment dev); prd only promotes what dev ran" >&2
  exit 1
fi

refused=()
while read -r id; do
  run="$(gh api "repos/${GITHUB_REPOSITORY}/actions/runs/${id}")"
  why="$(jq -r --arg repo "$GITHUB_REPOSITORY" --arg workflow "$workflow" --arg commit "$commit" '
    [ (if ((.path // "") | sub("@.*$"; "")) != $workflow then "workflow \(.path // "none"), not \($workflow)" else empty end),
      (if .event != "workflow_dispatch" then "event \(.event), not workflow_dispatch" else empty end),
      (if .head_branch != "main" then "started from \(.head_branch // "no branch"), not main" else empty end),
      (if .head_sha != $commit then "ran main at \(.head_sha // "no commit"), not \($commit)" else empty end),
      (if .head_repository.full_name != $repo then "repository \(.head_repository.full_name // "none"), not \($repo)" else empty end),
      (if .conclusion != "success" then "concluded \(.conclusion // "not yet")" else empty end),
      (if ((.display_title // "") | startswith("deploy dev @ ")) | not then "run \"\(.display_title // "")\" is not a dev deploy" else empty end)
    ] | join("; ")' <<<"$run")"
  if [[ -z "$why" ]]; then
    echo "find-release: release-${commit} from run ${id} ($(jq -r '.html_url // ""' <<<"$run")): deploy.yml on main, dev, succeeded" >&2
    echo "$id"
    exit 0
  fi
  refused+=("run ${id}: ${why}")
done <<<"$runs"

echo "find-release: no release-${commit} artifact comes from dev's deploy run on main; refused:" >&2
printf '  %s\n' "${refused[@]}" >&2
echo "Deploy ${commit} to dev with deploy.yml started from main; prd only promotes what that run built." >&2
exit 1

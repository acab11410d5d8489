#!/usr/bin/env bash
# The caution gate's approval for one pull request (scripts/delivery/caution-approval.ts decides): prints the
# decision as JSON and exits 0 when a person other than the author added the approving label after the latest
# push, 1 when not (the reason is in the JSON), 2 on an error. When the head commit arrived: the creation of the
# first workflow run GitHub started for it (REST "List workflow runs for a repository", head_sha filter), which
# GitHub stamps on receiving the push; a commit's own dates are set by whoever made it and prove nothing.
#
# Usage: scripts/delivery/caution-approval.sh <pull-request-number>
# Needs: gh (GH_TOKEN with pull-requests: read, issues: read, actions: read), jq, GITHUB_REPOSITORY.
set -euo pipefail

pr="${1:?usage: caution-approval.sh <pull-request-number>}"
[[ "$pr" =~ ^[1-9][0-9]*$ ]] || { echo "caution-approval: ${pr} is not a pull request number" >&2; exit 2; }
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

gh api "repos/${GITHUB_REPOSITORY}/pulls/${pr}" >"${work}/pull.json"
head_sha="$(jq -er '.head.sha' "${work}/pull.json")"
gh api --paginate "repos/${GITHUB_REPOSITORY}/issues/${pr}/events?per_page=100" --jq '.[]' | jq -s . >"${work}/events.json"
pushed_at="$(gh api "repos/${GITHUB_REPOSITORY}/actions/runs?head_sha=${head_sha}&per_page=100" \
  --jq '[.workflow_runs[].created_at] | min // empty')"
if [[ -z "$pushed_at" ]]; then
  echo "caution-approval: no workflow run for ${head_sha}, so no push time to compare the approval with" >&2
  exit 2
fi

decision="$(npx --no-install tsx "${here}/caution-approval.ts" "${work}/pull.json" "${work}/events.json" "$pushed_at")"
echo "$decision"
jq -e '.approved' <<<"$decision" >/dev/null || exit 1

#!/usr/bin/env bash
# The commit an environment runs, kept as a GitHub deployment record: deploy.yml records the commit it deployed
# once CodeDeploy shifted the traffic to it (`record`; from then on the environment runs it, whatever the smoke
# test says next), and drift.yml plans the environment's stack at that commit (`read`), so
# drift is judged against what the environment runs, not against main (prd normally lags main: promotion).
# Records carry the task `sml-release` (GitHub's own records of a job's `environment:` name the workflow's ref,
# not the deployed commit) and count only when created by GitHub Actions with a `success` status.
#
# Usage: scripts/delivery/deployed-commit.sh record <environment> <commit-sha>
#        scripts/delivery/deployed-commit.sh read <environment>        prints the commit
# Needs: gh (GH_TOKEN with deployments: write to record, deployments: read to read), jq, GITHUB_REPOSITORY.
set -euo pipefail

usage="usage: deployed-commit.sh record <environment> <commit-sha> | read <environment>"
action="${1:?$usage}"
environment="${2:?$usage}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"
[[ "$environment" =~ ^[a-z][a-z0-9-]*$ ]] || { echo "deployed-commit: '${environment}' is not an environment name" >&2; exit 2; }
task="sml-release"

case "$action" in
  record)
    commit="${3:?$usage}"
    [[ "$commit" =~ ^[0-9a-f]{40}$ ]] || { echo "deployed-commit: ${commit} is not a full commit SHA" >&2; exit 2; }
    id="$(jq -n --arg ref "$commit" --arg env "$environment" --arg task "$task" '{
        ref: $ref, environment: $env, task: $task, auto_merge: false, required_contexts: [],
        production_environment: ($env == "prd"), description: "deployed by deploy.yml, traffic shifted"
      }' | gh api --method POST "repos/${GITHUB_REPOSITORY}/deployments" --input - --jq '.id')"
    [[ "$id" =~ ^[0-9]+$ ]] || { echo "deployed-commit: GitHub created no deployment record (${id})" >&2; exit 1; }
    gh api --method POST "repos/${GITHUB_REPOSITORY}/deployments/${id}/statuses" -f state=success \
      -f description="${commit}" --silent
    echo "deployed-commit: ${environment} runs ${commit} (deployment ${id})"
    ;;
  read)
    while read -r id; do
      [[ -n "$id" ]] || continue
      state="$(gh api "repos/${GITHUB_REPOSITORY}/deployments/${id}/statuses?per_page=1" --jq '.[0].state // ""')"
      [[ "$state" == success ]] || continue
      commit="$(gh api "repos/${GITHUB_REPOSITORY}/deployments/${id}" --jq '.sha')"
      if [[ "$commit" =~ ^[0-9a-f]{40}$ ]]; then
        echo "$commit"
        exit 0
      fi
    done < <(gh api "repos/${GITHUB_REPOSITORY}/deployments?environment=${environment}&task=${task}&per_page=30" \
      --jq '.[] | select(.creator.login == "github-actions[bot]") | .id')
    echo "deployed-commit: no successful ${task} record for ${environment}; deploy it with deploy.yml once (it records the commit)" >&2
    exit 1
    ;;
  *)
    echo "deployed-commit: unknown action '${action}'; ${usage}" >&2
    exit 2
    ;;
esac

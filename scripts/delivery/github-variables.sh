#!/usr/bin/env bash
# Sets the GitHub variables the workflows read, from the bootstrap stack's outputs and the site config, with `gh`:
#   repository: AWS_REGION, AWS_PLAN_ROLE_ARN, and SML_ALARM_EMAIL_<ENV> for each one set in your shell;
#   environment <env> (created when missing): AWS_DEPLOY_ROLE_ARN.
# Nothing is copied by hand. Reviewers of prd stay a setting in GitHub (docs/deploy.md, "Fork it", step 4).
#
# Usage: scripts/delivery/github-variables.sh [--dry-run]     (--dry-run prints the gh commands instead)
# Needs: `npm run synth` (or `npm run plan -- sml-bootstrap`) first, terraform, jq, credentials that read the
#        state bucket, gh logged in with admin rights on the repository named in the site config.
set -euo pipefail

dry_run=0
case "${1:-}" in
  "") ;;
  --dry-run) dry_run=1 ;;
  *) echo "usage: github-variables.sh [--dry-run]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."

facts="$(npx --no-install tsx infra/src/site-facts.ts)"
fact() { jq -er "$1" <<<"$facts"; }
repo="$(fact .githubRepository)"
bootstrap="$(fact '.stacks[0]')"
outputs="$(scripts/delivery/stack-outputs.sh "$bootstrap")"

# Every output this script sets, read before any gh call: a missing one (a bootstrap applied before an
# environment was added, or not applied at all) fails here naming each, instead of setting an empty variable.
mapfile -t environments < <(jq -r '.githubEnvironments[]' <<<"$facts")
needed=(plan_role_arn)
for env in "${environments[@]}"; do needed+=("deploy_role_arn_${env}"); done
declare -A value=()
missing=()
for name in "${needed[@]}"; do
  value[$name]="$(jq -r --arg name "$name" '.[$name] // empty | strings' <<<"$outputs")"
  [[ -n "${value[$name]}" ]] || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
  echo "github-variables: ${bootstrap} has no output ${missing[*]}; apply ${bootstrap} (docs/deploy.md) and run this again. Nothing was set." >&2
  exit 1
fi

run() {
  if ((dry_run)); then
    printf '%q ' "$@"
    echo
  else
    "$@" >/dev/null
  fi
}

region="$(fact .region)"
run gh variable set AWS_REGION --repo "$repo" --body "$region"
run gh variable set AWS_PLAN_ROLE_ARN --repo "$repo" --body "${value[plan_role_arn]}"
for env in "${environments[@]}"; do
  variable="SML_ALARM_EMAIL_${env^^}"
  if [[ -n "${!variable:-}" ]]; then
    run gh variable set "$variable" --repo "$repo" --body "${!variable}"
  else
    echo "github-variables: ${variable} is not set in this shell; set it in GitHub yourself or re-run with it" >&2
  fi
  # PUT creates the environment, or leaves an existing one (and its reviewers) as it is.
  run gh api --method PUT "repos/${repo}/environments/${env}" --silent
  run gh variable set AWS_DEPLOY_ROLE_ARN --repo "$repo" --env "$env" --body "${value[deploy_role_arn_${env}]}"
done
if ((!dry_run)); then echo "github-variables: set for ${repo}"; fi

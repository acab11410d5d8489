#!/usr/bin/env bash
# Sets the GitHub variables the workflows read, from the bootstrap stack's outputs and the site config, with `gh`:
#   repository: AWS_REGION, AWS_PLAN_ROLE_ARN, and SML_ALARM_EMAIL_<ENV> for each one set in your shell;
#   environment <env> (created when missing): AWS_DEPLOY_ROLE_ARN;
#   dev and prd (the long-lived environments) deploy only from main: a deployment branch policy naming main, so a
#   workflow started from another branch gets no job in them (and no AWS role: the roles trust the environment).
# Nothing is copied by hand. Reviewers of prd stay a setting in GitHub (who reviews is yours to choose), but this
# script fails, after setting everything else, while prd has none (docs/deploy.md, "Fork it", step 4).
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
mapfile -t long_lived < <(jq -r '.environments[]' <<<"$facts")
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
  if [[ " ${long_lived[*]} " == *" ${env} "* ]]; then
    # Custom branch policies (GitHub REST, "Create or update an environment"): only the branches listed below.
    run gh api --method PUT "repos/${repo}/environments/${env}" --silent \
      -F "deployment_branch_policy[protected_branches]=false" -F "deployment_branch_policy[custom_branch_policies]=true"
    if ((dry_run)) || ! gh api "repos/${repo}/environments/${env}/deployment-branch-policies" |
      jq -e '.branch_policies[]? | select(.name == "main" and (.type // "branch") == "branch")' >/dev/null; then
      run gh api --method POST "repos/${repo}/environments/${env}/deployment-branch-policies" --silent \
        -f name=main -f type=branch
    fi
  else
    # PUT creates the environment, or leaves an existing one (and its reviewers) as it is.
    run gh api --method PUT "repos/${repo}/environments/${env}" --silent
  fi
  run gh variable set AWS_DEPLOY_ROLE_ARN --repo "$repo" --env "$env" --body "${value[deploy_role_arn_${env}]}"
done
if ((dry_run)); then
  echo "# then: gh api repos/${repo}/environments/prd must list a required_reviewers protection rule"
  exit 0
fi
echo "github-variables: set for ${repo}"

# prd's reviewers are the only human check before a prd deploy: refuse to call the setup done without them.
reviewers="$(gh api "repos/${repo}/environments/prd" |
  jq '[.protection_rules[]? | select(.type == "required_reviewers") | .reviewers[]?] | length')"
if ! [[ "$reviewers" =~ ^[0-9]+$ ]] || ((reviewers == 0)); then
  echo "github-variables: the GitHub environment prd has no required reviewers, so any prd deploy would start unapproved. Add them: Settings > Environments > prd > Required reviewers (private repositories need GitHub Pro, Team or Enterprise for them; docs/deploy.md, \"Fork it\", step 4), then run this again." >&2
  exit 1
fi
echo "github-variables: prd requires one of ${reviewers} reviewer(s) to approve each deploy"

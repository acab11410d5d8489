#!/usr/bin/env bash
# The prd gate of deploy.yml: resolves the ref to deploy to one commit and, for prd, refuses a commit that is not on
# main. A release tag (v*) names a commit like any ref: it passes only when that commit is on main, so a tag pushed
# on an unreviewed commit opens no path to prd (a tag ruleset, docs/deploy.md "Fork it", also keeps who may push
# v* tags small). Runs in a job that holds no AWS credentials, before the deploy job requests any, from the
# workflow's own checkout: the ref to deploy is only inspected with git, in its own clone (the third argument).
# Prints the commit; writes `sha=<commit>` to $GITHUB_OUTPUT when set, so the deploy job checks out exactly the
# commit that passed (a branch moved after the check cannot slip in), and `registry-owner=true|false`: true only for
# a dev deploy of main's head, the one deploy that applies the shared registry stack (a prd deploy of an older
# commit, or a dev deploy of a branch, would otherwise roll the registry back and forth).
#
# Needs a clone with main's history and the tags (actions/checkout with fetch-depth: 0).
# Usage: scripts/delivery/check-deploy-ref.sh <environment> <ref> [<clone>]   (ref: branch, tag or commit SHA;
#        clone: the folder the ref was checked out in, default the current one)
set -euo pipefail

usage="usage: check-deploy-ref.sh <environment> <ref> [<clone>]"
environment="${1:?$usage}"
ref="${2:?$usage}"
clone="${3:-.}"
main="${DEPLOY_MAIN_REF:-origin/main}"

fail() {
  echo "check-deploy-ref: $*" >&2
  exit 1
}
[[ -d "$clone" ]] || fail "no clone at '${clone}'; check the ref out there first"
git() { command git -C "$clone" "$@"; }

sha="$(git rev-parse --verify --quiet "${ref}^{commit}")" ||
  sha="$(git rev-parse --verify --quiet "origin/${ref}^{commit}")" ||
  fail "'${ref}' is not a branch, tag or commit of this repository; pass one that exists (git fetch --tags first)"

if [[ "$environment" == "prd" ]]; then
  git rev-parse --verify --quiet "${main}^{commit}" >/dev/null ||
    fail "cannot see ${main}; check out with fetch-depth: 0 so the gate can compare against main"
  if ! git merge-base --is-ancestor "$sha" "$main"; then
    fail "prd deploys only commits on main (a release tag v* too must point at a commit on main); '${ref}' (${sha}) is not on ${main}. Merge it to main (and tag a release there) and deploy that, or deploy it to dev (docs/deploy.md, \"The prd gate\")"
  fi
  echo "check-deploy-ref: prd may deploy ${ref} (${sha}): on ${main}" >&2
fi

registry_owner=false
if [[ "$environment" == "dev" ]] && [[ "$(git rev-parse --verify --quiet "${main}^{commit}" || true)" == "$sha" ]]; then
  registry_owner=true
  echo "check-deploy-ref: ${sha} is ${main}'s head: this deploy applies the registry stack" >&2
else
  echo "check-deploy-ref: the registry stack is applied only by a dev deploy of ${main}'s head; this deploy leaves it as it is" >&2
fi

echo "$sha"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  echo "sha=${sha}" >> "$GITHUB_OUTPUT"
  echo "registry-owner=${registry_owner}" >> "$GITHUB_OUTPUT"
fi

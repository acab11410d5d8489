#!/usr/bin/env bash
# The prd gate of deploy.yml: resolves the ref to deploy to one commit and, for prd, refuses a commit that is not on
# main and not a release tag (v*). Runs in a job that holds no AWS credentials, before the deploy job requests any.
# Prints the commit; writes `sha=<commit>` to $GITHUB_OUTPUT when set, so the deploy job checks out exactly the
# commit that passed (a branch moved after the check cannot slip in).
#
# Needs a clone with main's history and the tags (actions/checkout with fetch-depth: 0).
# Usage: scripts/delivery/check-deploy-ref.sh <environment> <ref>        (ref: branch, tag or commit SHA)
set -euo pipefail

environment="${1:?usage: check-deploy-ref.sh <environment> <ref>}"
ref="${2:?usage: check-deploy-ref.sh <environment> <ref>}"
main="${DEPLOY_MAIN_REF:-origin/main}"

fail() {
  echo "check-deploy-ref: $*" >&2
  exit 1
}

sha="$(git rev-parse --verify --quiet "${ref}^{commit}")" ||
  sha="$(git rev-parse --verify --quiet "origin/${ref}^{commit}")" ||
  fail "'${ref}' is not a branch, tag or commit of this repository; pass one that exists (git fetch --tags first)"

if [[ "$environment" == "prd" ]]; then
  release_tag=""
  if [[ "$ref" == v* ]] && git rev-parse --verify --quiet "refs/tags/${ref}" >/dev/null; then
    release_tag="$ref"
  fi
  git rev-parse --verify --quiet "${main}^{commit}" >/dev/null ||
    fail "cannot see ${main}; check out with fetch-depth: 0 so the gate can compare against main"
  if [[ -z "$release_tag" ]] && ! git merge-base --is-ancestor "$sha" "$main"; then
    fail "prd deploys only commits on main or a release tag (v*); '${ref}' (${sha}) is neither. Merge it to main (or tag a release from main) and deploy that, or deploy it to dev (docs/deploy.md, \"The prd gate\")"
  fi
  echo "check-deploy-ref: prd may deploy ${ref} (${sha}): ${release_tag:+release tag }${release_tag:-on ${main}}" >&2
fi

echo "$sha"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "sha=${sha}" >> "$GITHUB_OUTPUT"; fi

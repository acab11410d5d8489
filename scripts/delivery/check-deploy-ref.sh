#!/usr/bin/env bash
# The prd gate of deploy.yml: resolves the ref to deploy to one commit and, for prd, refuses a commit that is not on
# main and not a release tag (v*). Runs in a job that holds no AWS credentials, before the deploy job requests any.
# Prints the commit; writes `sha=<commit>` to $GITHUB_OUTPUT when set, so the deploy job checks out exactly the
# commit that passed (a branch moved after the check cannot slip in), and `registry-owner=true|false`: true only for
# a dev deploy of main's head, the one deploy that applies the shared registry stack (a prd deploy of an older
# commit, or a dev deploy of a branch, would otherwise roll the registry back and forth).
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

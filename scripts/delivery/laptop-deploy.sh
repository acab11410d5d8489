#!/usr/bin/env bash
# A whole deploy of dev from a laptop: what deploy.yml's deploy job does, in its order, as the environment's
# operator role (people-<project>-operator-<env>, assumed once with the credentials in your shell, e.g. after
# `aws sso login`; every later AWS call of every step runs as that role, never as you): preflight, registry stack
# (only when HEAD is main's head, like deploy.yml), prediction image (tagged dev-<commit>), environment stack with that image's digest, each new version called before any traffic
# (pre-traffic-check.sh), the `live` aliases shifted by CodeDeploy (shift-traffic.sh, rolled back as one set on a
# failure), then the smoke test with a throwaway user (deleted on exit). prd is not deployed from a laptop: it
# promotes dev's attested release through deploy.yml, with its reviewers.
#
# Usage: scripts/delivery/laptop-deploy.sh dev
# Env:   SML_ASSUME_ROLE=0       the shell's credentials are already the operator role's (checked, not trusted)
#        SML_ALARM_EMAIL_<ENV>   required by the synth (infra/README.md, "Alarm e-mail")
#        SML_MAIN_REF=origin/main    the ref whose head may apply the registry stack (git fetch first)
#        SML_DELIVERY_SCRIPTS, SML_SMOKE_SCRIPT   other folders for the step scripts and the smoke test (the
#                                tests put stand-ins there to check the order and the credentials of each step)
# Needs: terraform, jq, the AWS CLI, docker with buildx (and QEMU on non-arm64 hosts), curl, openssl.
set -euo pipefail

env="${1:?usage: laptop-deploy.sh dev}"
if [[ "$env" == prd ]]; then
  echo "laptop-deploy: prd deploys only dev's attested release, through deploy.yml with its reviewers (docs/deploy.md, \"Promotion\")" >&2
  exit 2
fi
cd "$(dirname "$0")/../.."
delivery="${SML_DELIVERY_SCRIPTS:-scripts/delivery}"

facts="$(npx --no-install tsx infra/src/site-facts.ts)"
fact() { jq -er "$1" <<<"$facts"; }
jq -e --arg e "$env" '.environments | index($e)' <<<"$facts" >/dev/null ||
  { echo "laptop-deploy: unknown environment '${env}'; known: $(jq -r '.environments | join(", ")' <<<"$facts")" >&2; exit 2; }
stack="$(jq -er --arg e "$env" '.environmentOfStack | to_entries[] | select(.value == $e) | .key' <<<"$facts")"
registry="$(fact '.stacks[1]')"
role_arn="$(fact ".roles.operator.${env}")"
region="$(fact .region)"
export AWS_REGION="$region" AWS_DEFAULT_REGION="$region" CHECKPOINT_DISABLE=1

if [[ "${SML_ASSUME_ROLE:-1}" != "0" ]]; then
  echo "laptop-deploy: assuming ${role_arn}" >&2
  credentials="$(aws sts assume-role --role-arn "$role_arn" \
    --role-session-name "${USER:-laptop}-deploy-${env}" --query Credentials --output json)"
  AWS_ACCESS_KEY_ID="$(jq -er .AccessKeyId <<<"$credentials")"
  AWS_SECRET_ACCESS_KEY="$(jq -er .SecretAccessKey <<<"$credentials")"
  AWS_SESSION_TOKEN="$(jq -er .SessionToken <<<"$credentials")"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  unset AWS_PROFILE
fi
# Whatever the shell held, every step below must run as the operator role.
caller="$(aws sts get-caller-identity --query Arn --output text)"
if [[ "$caller" != *":assumed-role/${role_arn##*/}/"* ]]; then
  echo "laptop-deploy: running as ${caller}, not as ${role_arn}; sign in so that you may assume it (site config people.${env}.operator)" >&2
  exit 1
fi
# The steps below must not assume the role again from these credentials (role chaining).
export SML_ASSUME_ROLE=0

step() { echo "== laptop-deploy: $*" >&2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

commit="$(git rev-parse HEAD)"
# The registry is shared by every environment and applied from main's head only (docs/deploy.md, "The registry
# stack"), as deploy.yml does: any other commit leaves it as it is (fetch first: origin/main is what you last saw).
main_head="$(git rev-parse --verify --quiet "${SML_MAIN_REF:-origin/main}^{commit}" || true)"
registry_owner=0
if [[ -n "$main_head" && "$main_head" == "$commit" ]]; then registry_owner=1; fi

step "preflight"
"${delivery}/preflight.sh" "$env"
if ((registry_owner)); then
  step "registry stack ${registry} (main's head)"
  bash "${delivery}/plan-apply.sh" apply "$registry" --as "$env"
else
  step "registry stack ${registry} left as it is: ${commit} is not ${SML_MAIN_REF:-origin/main}'s head (${main_head:-unknown}); only main's head applies it"
fi
"${delivery}/stack-outputs.sh" "$registry" >"${work}/registry.json"
repository_url="$(jq -er '.ecr_repository_url' "${work}/registry.json")"
step "prediction image"
aws ecr get-login-password | docker login --username AWS --password-stdin "${repository_url%%/*}"
# dev's tag prefix (images.tagPrefixes in infra/src/config): the registry's lifecycle rules expire by prefix only.
digest="$("${delivery}/push-image.sh" "$repository_url" "$(fact .imageTagPrefixes.dev)${commit}" dist/model-image)"
step "environment stack ${stack} with ${digest}"
bash "${delivery}/plan-apply.sh" apply "$stack" --image-digest "$digest"
"${delivery}/stack-outputs.sh" "$stack" >"${work}/outputs.json"
step "call each new version before any traffic"
"${delivery}/pre-traffic-check.sh" "${work}/outputs.json"
step "shift the live aliases with CodeDeploy"
"${delivery}/shift-traffic.sh" "${work}/outputs.json"
step "smoke test"
SMOKE_USERNAME="smoke-${USER:-laptop}-$(date +%s)@example.com"
export SMOKE_USERNAME
trap '"${delivery}/smoke-user.sh" delete "${work}/outputs.json" || true; rm -rf "$work"' EXIT
token="$("${delivery}/smoke-user.sh" sign-in "${work}/outputs.json")"
SMOKE_TOKEN="$token" SMOKE_TIMEOUT=60 "${SML_SMOKE_SCRIPT:-scripts/smoke.sh}" "$(jq -er '.api_url' "${work}/outputs.json")"
echo "laptop-deploy: ${stack} deployed at ${commit}, traffic shifted, smoke test passed" >&2

#!/usr/bin/env bash
# `npm run plan -- <stack>` and `npm run apply -- <stack>` from a laptop: what the workflows do, as a person.
# Assumes the environment's role for people (plan: people-<project>-readonly-<env>; apply:
# people-<project>-operator-<env>; names and account from infra/src/config/site.ts) with the credentials in your
# shell (e.g. `aws sso login`), synthesizes the stack, then
#   plan:  terraform init + plan, as `cdktf diff` runs them, keeping the plan, and prints the same summary the
#          pull-request comment shows (scripts/delivery/plan-summary.ts), the image digest included;
#   apply: `cdktf deploy <stack>` (it shows the plan and asks before applying).
# An environment stack is planned and applied with the prediction image it runs now
# (scripts/delivery/stack-image-digest.sh), unless --image-digest names another (a new image from push-image.sh).
# sml-bootstrap runs with your own (administrator) credentials; sml-registry with the roles of --as <env>
# (default: the first environment).
#
# Usage: scripts/delivery/plan-apply.sh plan|apply <stack> [--as <env>] [--image-digest sha256:...]
# Env:   SML_ASSUME_ROLE=0   use the credentials in the shell as they are (already in the role)
#        SML_ALARM_EMAIL_<ENV>  required for that environment's stack (infra/README.md, "Alarm e-mail")
# Needs: terraform, jq, the AWS CLI.
set -euo pipefail

usage="usage: npm run plan|apply -- <stack> [--as <env>] [--image-digest sha256:...]"
mode="${1:?$usage}"
stack="${2:?$usage}"
shift 2
case "$mode" in
  plan | apply) ;;
  *) echo "plan-apply: unknown mode '${mode}' (plan or apply)" >&2; exit 2 ;;
esac
as_env=""
digest=""
while (($# > 0)); do
  case "$1" in
    --as) as_env="${2:?$usage}"; shift 2 ;;
    --image-digest) digest="${2:?$usage}"; shift 2 ;;
    *) echo "plan-apply: unknown argument '$1'; ${usage}" >&2; exit 2 ;;
  esac
done
if [[ -n "$digest" && "$digest" != sha256:* ]]; then
  echo "plan-apply: --image-digest must be sha256:<64 hex>, the digest push-image.sh prints" >&2
  exit 2
fi
cd "$(dirname "$0")/../.."

# Validates the site first: a placeholder left in infra/src/config/site.ts stops here, naming the setting.
facts="$(npx --no-install tsx infra/src/site-facts.ts)"
fact() { jq -er "$1" <<<"$facts"; }
if ! jq -e --arg s "$stack" '.stacks | index($s)' <<<"$facts" >/dev/null; then
  echo "plan-apply: unknown stack '${stack}'; the app's stacks: $(jq -r '.stacks | join(", ")' <<<"$facts")" >&2
  exit 2
fi
env="$(jq -r --arg s "$stack" '.environmentOfStack[$s] // empty' <<<"$facts")"
if [[ -z "$env" ]]; then env="${as_env:-$(fact '.environments[0]')}"; fi
if ! jq -e --arg e "$env" '.environments | index($e)' <<<"$facts" >/dev/null; then
  echo "plan-apply: unknown environment '${env}'; known: $(jq -r '.environments | join(", ")' <<<"$facts")" >&2
  exit 2
fi
# An environment stack is never planned or applied without its alarm addresses (the synth below refuses it
# too, but only after the role was assumed): said here, before any AWS call.
if [[ -n "$(jq -r --arg s "$stack" '.environmentOfStack[$s] // empty' <<<"$facts")" ]]; then
  alarm_variable="$(fact ".alarmEmailVariables.${env}")"
  if [[ -z "${!alarm_variable:-}" ]]; then
    echo "plan-apply: ${alarm_variable} is not set: export it in this shell (the address, or comma-separated addresses, that receive ${env}'s alarms; docs/deploy.md, \"Fork it\", step 2)" >&2
    exit 1
  fi
fi
region="$(fact .region)"
export AWS_REGION="$region" AWS_DEFAULT_REGION="$region" CHECKPOINT_DISABLE=1

if [[ "$stack" == "$(fact '.stacks[0]')" ]]; then
  echo "plan-apply: ${stack} changes IAM and the state bucket: it runs with your own administrator credentials" >&2
elif [[ "${SML_ASSUME_ROLE:-1}" != "0" ]]; then
  kind="readonly"
  if [[ "$mode" == apply ]]; then kind="operator"; fi
  role_arn="$(fact ".roles.${kind}.${env}")"
  echo "plan-apply: assuming ${role_arn}" >&2
  credentials="$(aws sts assume-role --role-arn "$role_arn" \
    --role-session-name "${USER:-laptop}-${mode}-${stack}" --query Credentials --output json)"
  AWS_ACCESS_KEY_ID="$(jq -er .AccessKeyId <<<"$credentials")"
  AWS_SECRET_ACCESS_KEY="$(jq -er .SecretAccessKey <<<"$credentials")"
  AWS_SESSION_TOKEN="$(jq -er .SessionToken <<<"$credentials")"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  unset AWS_PROFILE
fi

# Only this environment's stacks: the synth needs only its own alarm e-mail. SML_SITE_CHECK=deploy: a placeholder
# or a missing alarm e-mail stops the synth instead of being reported as a warning (infra/src/main.ts).
SML_SITE_CHECK=deploy SML_ENVIRONMENTS="$env" npm run synth

if [[ -z "$digest" ]]; then digest="$(scripts/delivery/stack-image-digest.sh "$stack")"; fi
if [[ -n "$digest" ]]; then
  echo "Prediction image: \`${digest}\`" >&2
  export TF_VAR_prediction_image_digest="$digest"
fi

if [[ "$mode" == plan ]]; then
  mkdir -p plans
  export TF_CLI_ARGS_plan="-lock-timeout=10m"
  scripts/delivery/terraform-plan.sh "$stack" "plans/${stack}.json"
  # The plan JSON holds attribute values in clear text: it stays on this machine (plans/ is git-ignored).
  npx --no-install tsx scripts/delivery/plan-summary.ts "${stack}=plans/${stack}.json"
else
  export TF_CLI_ARGS_apply="-lock-timeout=10m"
  npx --no-install cdktf deploy "$stack"
fi

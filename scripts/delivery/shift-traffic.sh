#!/usr/bin/env bash
# Moves each served function's `live` alias to the version the last apply published, through CodeDeploy: one
# deployment per function whose alias is not there yet (AppSpec from scripts/delivery/appspec.ts), under the
# environment's deployment configuration (prd: 10 % canary for 5 minutes; dev: all at once). Waits for all of
# them. One release is one consistent set of versions: when one fails or is rolled back (a guarding alarm fired),
# the others are stopped with rollback, and those that had already succeeded are put back on the version they
# served before (lambda:UpdateAlias, what CodeDeploy's own rollback does, not a new deployment, which an alarm
# still firing would stop); then it prints why and exits 1. Terraform never moves the aliases itself
# (docs/deploy.md, "Rollout and rollback").
#
# Usage: scripts/delivery/shift-traffic.sh <outputs.json>      (from scripts/delivery/stack-outputs.sh)
# Needs: the AWS CLI (lambda:GetAlias/UpdateAlias, codedeploy:CreateDeployment/GetDeployment/StopDeployment), jq,
# npx tsx.
set -euo pipefail

outputs="${1:?usage: shift-traffic.sh <outputs.json>}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

jq -e '.rollout | type == "object"' "$outputs" >/dev/null \
  || { echo "shift-traffic: ${outputs} has no rollout output; deploy the environment stack first" >&2; exit 2; }

summary() { if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then echo "$*" >>"$GITHUB_STEP_SUMMARY"; fi; }

ids=()
labels=()
functions=()
aliases=()
before=()
while IFS= read -r key; do
  target="${work}/${key}.json"
  jq --arg key "$key" '.rollout[$key]' "$outputs" >"$target"
  function_name="$(jq -r '.functionName' "$target")"
  alias_name="$(jq -r '.alias' "$target")"
  served="$(aws lambda get-alias --function-name "$function_name" --name "$alias_name" \
    --query 'FunctionVersion' --output text)"
  npx tsx "${here}/appspec.ts" "$target" "$served" >"${work}/${key}.plan.json"
  if jq -e '.skip' "${work}/${key}.plan.json" >/dev/null; then
    echo "shift-traffic: $(jq -r '.reason' "${work}/${key}.plan.json")"
    continue
  fi
  jq -c '.revision' "${work}/${key}.plan.json" >"${work}/${key}.revision.json"
  version="$(jq -r '.version' "$target")"
  id="$(aws deploy create-deployment \
    --application-name "$(jq -r '.application' "$target")" \
    --deployment-group-name "$(jq -r '.deploymentGroup' "$target")" \
    --revision "file://${work}/${key}.revision.json" \
    --description "${function_name}:${alias_name} ${served} -> ${version}" \
    --query 'deploymentId' --output text)"
  echo "shift-traffic: ${function_name}:${alias_name} ${served} -> ${version} (deployment ${id})"
  summary "- \`${function_name}:${alias_name}\` ${served} -> ${version}: CodeDeploy deployment \`${id}\`"
  ids+=("$id")
  functions+=("$function_name")
  aliases+=("$alias_name")
  before+=("$served")
  labels+=("${function_name}:${alias_name} ${served} -> ${version}")
done < <(jq -r '.rollout | keys[]' "$outputs")

if [[ ${#ids[@]} -eq 0 ]]; then
  echo "shift-traffic: every alias already serves its function's latest version"
  exit 0
fi

# revert J: puts alias J back on the version it served before this release, and checks that it is there.
revert() {
  local j="$1"
  aws lambda update-alias --function-name "${functions[$j]}" --name "${aliases[$j]}" \
    --function-version "${before[$j]}" --routing-config 'AdditionalVersionWeights={}' >/dev/null
  local now
  now="$(aws lambda get-alias --function-name "${functions[$j]}" --name "${aliases[$j]}" \
    --query 'FunctionVersion' --output text)"
  if [[ "$now" != "${before[$j]}" ]]; then
    echo "::error::${functions[$j]}:${aliases[$j]} serves ${now} after the revert, not ${before[$j]}; set it by hand (docs/operations.md, \"Rollback\")" >&2
    return 1
  fi
  echo "shift-traffic: ${functions[$j]}:${aliases[$j]} put back on version ${before[$j]} (deployment ${ids[$j]} had succeeded)" >&2
  summary "- \`${functions[$j]}:${aliases[$j]}\` put back on version ${before[$j]} (its deployment had succeeded)"
}

for i in "${!ids[@]}"; do
  if aws deploy wait deployment-successful --deployment-id "${ids[$i]}"; then
    echo "shift-traffic: ${labels[$i]} succeeded"
    continue
  fi
  echo "::error::CodeDeploy deployment ${ids[$i]} (${labels[$i]}) did not succeed; the alias is back on the version it served" >&2
  aws deploy get-deployment --deployment-id "${ids[$i]}" \
    --query 'deploymentInfo.{status: status, error: errorInformation, rollback: rollbackInfo}' --output json >&2 || true
  summary "- **${labels[$i]} failed and was rolled back** (deployment \`${ids[$i]}\`)"
  # One consistent set of versions: every other function of this release goes back too. Those waited for
  # already (j < i) succeeded; a later one may still run (stopped with rollback) or may have finished already
  # (StopDeployment then fails and the alias is put back by hand).
  reverted=0
  for j in "${!ids[@]}"; do
    [[ "$j" -ne "$i" ]] || continue
    status="Succeeded"
    if [[ "$j" -gt "$i" ]]; then
      aws deploy stop-deployment --deployment-id "${ids[$j]}" --auto-rollback-enabled >/dev/null 2>&1 || true
      status="$(aws deploy get-deployment --deployment-id "${ids[$j]}" --query 'deploymentInfo.status' --output text)"
    fi
    if [[ "$status" == "Succeeded" ]]; then
      revert "$j" || reverted=1
    else
      echo "shift-traffic: stopped ${labels[$j]} (deployment ${ids[$j]}, ${status}), rolling it back" >&2
    fi
  done
  if ((reverted)); then echo "::error::the release is not fully rolled back; see the errors above" >&2; fi
  exit 1
done

#!/usr/bin/env bash
# Smoke-tests each new function version before CodeDeploy sends it any traffic: for every served function whose
# `live` alias is not yet on the version the apply published and that serves an HTTP route, invokes that version
# directly (qualifier = the version) with an API Gateway event for one of its GET routes
# (scripts/delivery/pre-traffic-event.ts) and requires a 200 without a function error. A failure stops the deploy
# before the shift: callers never reach the broken version. Run it between the apply and shift-traffic.sh.
# An Aurora cluster that auto-pauses (dev, previews) answers nothing for about 15 s while it resumes (about 30 s
# after a day paused; Aurora user guide, "Scaling to Zero ACUs with automatic pause and resume"), and the API's
# GET /health then says 503 SERVICE_UNAVAILABLE: that one answer is retried with backoff (2+4+8+16+30 = 60 s at
# most, PRE_TRAFFIC_RESUME_DELAYS), and only then judged. Any other failure is judged at once.
#
# Usage: scripts/delivery/pre-traffic-check.sh <outputs.json>      (from scripts/delivery/stack-outputs.sh)
# Needs: the AWS CLI (lambda:GetAlias, lambda:InvokeFunction), jq, npx tsx.
# Env:   PRE_TRAFFIC_RESUME_DELAYS  seconds to wait before each retry of a 503 (default "2 4 8 16 30")
set -euo pipefail

# The code @sml/lambda-http's error table gives DependencyUnavailableError (the database not answering).
readonly UNAVAILABLE_CODE="SERVICE_UNAVAILABLE"
read -r -a resume_delays <<<"${PRE_TRAFFIC_RESUME_DELAYS:-2 4 8 16 30}"
for delay in "${resume_delays[@]}"; do
  [[ "$delay" =~ ^[0-9]+([.][0-9]+)?$ ]] \
    || { echo "pre-traffic-check: PRE_TRAFFIC_RESUME_DELAYS must be seconds separated by spaces, got '${delay}'" >&2; exit 2; }
done

outputs="${1:?usage: pre-traffic-check.sh <outputs.json>}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

jq -e '.rollout | type == "object"' "$outputs" >/dev/null \
  || { echo "pre-traffic-check: ${outputs} has no rollout output; deploy the environment stack first" >&2; exit 2; }

failed=0
while IFS= read -r key; do
  function_name="$(jq -er --arg key "$key" '.rollout[$key].functionName' "$outputs")"
  alias_name="$(jq -er --arg key "$key" '.rollout[$key].alias' "$outputs")"
  version="$(jq -er --arg key "$key" '.rollout[$key].version' "$outputs")"
  served="$(aws lambda get-alias --function-name "$function_name" --name "$alias_name" \
    --query 'FunctionVersion' --output text)"
  if [[ "$served" == "$version" ]]; then continue; fi
  npx tsx "${here}/pre-traffic-event.ts" "$function_name" >"${work}/${key}.event.json"
  if [[ ! -s "${work}/${key}.event.json" ]]; then
    echo "pre-traffic-check: ${function_name} serves no HTTP route; nothing to call before the shift"
    continue
  fi
  route="$(jq -r '.routeKey' "${work}/${key}.event.json")"
  attempt=0
  while :; do
    function_error="$(aws lambda invoke --function-name "$function_name" --qualifier "$version" \
      --cli-binary-format raw-in-base64-out --payload "file://${work}/${key}.event.json" \
      --query 'FunctionError' --output text "${work}/${key}.response.json")"
    status="$(jq -r '.statusCode // empty' "${work}/${key}.response.json" 2>/dev/null || true)"
    code="$(jq -r '.body // "{}" | fromjson? | .error.code // empty' "${work}/${key}.response.json" 2>/dev/null || true)"
    # Only a paused database is waited out; anything else is the version's own answer.
    if [[ "$function_error" != "None" || "$status" != "503" || "$code" != "$UNAVAILABLE_CODE" ]]; then break; fi
    if (( attempt >= ${#resume_delays[@]} )); then
      echo "pre-traffic-check: ${function_name} version ${version} still answers 503 ${code} after ${attempt} retries" >&2
      break
    fi
    delay="${resume_delays[$attempt]}"
    attempt=$((attempt + 1))
    echo "pre-traffic-check: ${function_name} version ${version} answered ${route} with 503 ${code} (database resuming?); retry ${attempt} of ${#resume_delays[@]} in ${delay} s"
    sleep "$delay"
  done
  if [[ "$function_error" != "None" || "$status" != "200" ]]; then
    echo "::error::${function_name} version ${version} answered ${route} with status ${status:-none} (function error: ${function_error}); not shifting to it" >&2
    head -c 2000 "${work}/${key}.response.json" >&2 || true
    echo >&2
    failed=1
  else
    echo "pre-traffic-check: ${function_name} version ${version} answered ${route} with 200"
  fi
done < <(jq -r '.rollout | keys[]' "$outputs")
exit "$failed"

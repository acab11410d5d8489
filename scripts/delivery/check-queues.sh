#!/usr/bin/env bash
# The queue path of a deployed environment: after a burst of POST /users, the users queue drains within the
# SLO bound and the dead-letter queue stays empty. Then it deletes the users it created (DELETE /users/{id} with
# the ids POST answered) and waits for those deletions to drain too, so the check leaves no users behind.
#
# Usage: scripts/delivery/check-queues.sh <outputs.json> [burst-size]
# Env:   SMOKE_TOKEN (an admin's bearer token when the JWT authorizer is on: POST /users is the admins group's), QUEUE_BOUND_SECONDS (default 60),
#        AWS_ENDPOINT_URL (an SQS emulator such as the local stack's; AWS CLI v1 does not read it by itself)
# Needs: curl, jq, the AWS CLI with sqs:GetQueueAttributes on both queues.
set -euo pipefail

outputs="${1:?usage: check-queues.sh <outputs.json> [burst-size]}"
burst="${2:-20}"
bound="${QUEUE_BOUND_SECONDS:-60}"
api_url="$(jq -er '.api_url' "$outputs")"
api_url="${api_url%/}"
queue_url="$(jq -er '.queue_url' "$outputs")"
dlq_url="$(jq -er '.dlq_url' "$outputs")"

endpoint=()
[[ -n "${AWS_ENDPOINT_URL:-}" ]] && endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")
auth=()
[[ -n "${SMOKE_TOKEN:-}" ]] && auth=(-H "authorization: Bearer ${SMOKE_TOKEN}")

# depth URL -> visible + in-flight + delayed messages
depth() {
  aws "${endpoint[@]}" sqs get-queue-attributes --queue-url "$1" \
    --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible ApproximateNumberOfMessagesDelayed \
    --query 'Attributes' --output json |
    jq '[.[] | tonumber] | add'
}

dead="$(depth "$dlq_url")"
[[ "$dead" == 0 ]] || { echo "FAIL  dead-letter queue holds ${dead} message(s) before the test; see docs/operations.md" >&2; exit 1; }

answer="$(mktemp)"
trap 'rm -f "$answer"' EXIT
drained() {
  local deadline=$((SECONDS + bound))
  until [[ "$(depth "$queue_url")" == 0 ]]; do
    ((SECONDS < deadline)) || { echo "FAIL  users queue not drained within ${bound} s" >&2; exit 1; }
    sleep 2
  done
  echo "ok    users queue drained within ${bound} s"
}

run="$(date +%s)-${RANDOM}"
ids=()
for i in $(seq 1 "$burst"); do
  status="$(curl --silent --output "$answer" --write-out '%{http_code}' --max-time 30 "${auth[@]}" \
    -H 'content-type: application/json' \
    --data-binary "{\"name\":\"Queue check ${i}\",\"email\":\"queue-${run}-${i}@example.com\"}" \
    "${api_url}/users")"
  [[ "$status" == 202 ]] || { echo "FAIL  POST /users #${i}: expected 202, got ${status}" >&2; exit 1; }
  ids+=("$(jq -er '.id' "$answer")")
done
echo "ok    ${burst} POST /users accepted"
drained

for id in "${ids[@]}"; do
  status="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 30 "${auth[@]}" -X DELETE \
    "${api_url}/users/${id}")"
  [[ "$status" == 202 ]] || { echo "FAIL  DELETE /users/${id}: expected 202, got ${status}" >&2; exit 1; }
done
echo "ok    ${burst} DELETE /users/{id} accepted (the check's users)"
drained

dead="$(depth "$dlq_url")"
[[ "$dead" == 0 ]] || { echo "FAIL  ${dead} message(s) dead-lettered; see docs/operations.md (DLQ inspection)" >&2; exit 1; }
echo "ok    dead-letter queue empty"

#!/usr/bin/env bash
# Smoke test of a running API, local or deployed: health, create a user and wait until it is readable by the id
# POST /users answered (GET /users/{id}: no paging through every user), delete it again (DELETE /users/{id}, so a
# deploy leaves no test user behind) and wait until it is gone,
# a rejected request with its error body, an unknown route and a wrong method answered in the API's error
# format, a prediction, and a batch: a small CSV file uploaded with the presigned PUT, scored by the worker
# (one row rejected by line number, an id column carried over), its result downloaded.
#
# Usage: scripts/smoke.sh [API_URL]        (default http://127.0.0.1:${PORT:-3000})
# Env:   SMOKE_TOKEN    bearer token for stages with the JWT authorizer on (optional); an admin's (the users
#                       routes are the admins group's: scripts/delivery/smoke-user.sh, npm run token -- x --group admins)
#        SMOKE_TIMEOUT  seconds to wait for the new user to appear, and for the batch (default 30)
# Needs: curl, jq. Exits non-zero with the failing step and the response on the first failure.
set -euo pipefail

api="${1:-http://127.0.0.1:${PORT:-3000}}"
api="${api%/}"
timeout_s="${SMOKE_TIMEOUT:-30}"

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is required" >&2; exit 2; }
done

body_file="$(mktemp)"
batch_file="$(mktemp)"
trap 'rm -f "$body_file" "$batch_file"' EXIT

fail() {
  echo "FAIL  $1" >&2
  if [[ -s "$body_file" ]]; then
    echo "      response body: $(head -c 2000 "$body_file")" >&2
  fi
  exit 1
}

# request METHOD PATH [JSON_BODY] -> prints the status code; the body lands in $body_file.
request() {
  local method="$1" path="$2" data="${3:-}"
  local args=(--silent --show-error --max-time 30 --output "$body_file" --write-out '%{http_code}' -X "$method")
  if [[ -n "${SMOKE_TOKEN:-}" ]]; then
    args+=(-H "authorization: Bearer ${SMOKE_TOKEN}")
  fi
  if [[ -n "$data" ]]; then
    args+=(-H 'content-type: application/json' --data-binary "$data")
  fi
  # On a connection failure curl still writes 000 through --write-out; only add it when curl wrote nothing.
  local code
  code="$(curl "${args[@]}" "${api}${path}")" || true
  echo "${code:-000}"
}

expect_status() {
  local step="$1" want="$2" got="$3"
  [[ "$got" == "$want" ]] || fail "$step: expected HTTP $want, got $got"
  echo "ok    $step -> $got"
}

echo "smoke test against $api"

status="$(request GET /health)"
expect_status "GET /health" 200 "$status"

email="smoke-$(date +%s)-${RANDOM}${RANDOM}@example.com"
status="$(request POST /users "{\"name\":\"Smoke Test\",\"email\":\"${email}\"}")"
expect_status "POST /users" 202 "$status"
jq -e '.messageId | type == "string" and length > 0' "$body_file" >/dev/null ||
  fail "POST /users: response has no messageId"

user_id="$(jq -r '.id // empty' "$body_file")"
[[ -n "$user_id" ]] || fail "POST /users: response has no id"

# The user arrives through SNS -> SQS -> subscriber: read it by its id until it is there.
deadline=$((SECONDS + timeout_s))
while :; do
  status="$(request GET "/users/${user_id}")"
  [[ "$status" == 200 ]] && break
  [[ "$status" == 404 ]] || fail "GET /users/${user_id}: expected HTTP 200 or 404 while waiting, got $status"
  ((SECONDS < deadline)) || fail "GET /users/${user_id}: $email did not appear within ${timeout_s} s"
  sleep 0.5
done
expect_status "GET /users/{id}" 200 "$status"
jq -e --arg e "$email" --arg id "$user_id" '.email == $e and .name == "Smoke Test" and .id == $id' "$body_file" >/dev/null ||
  fail "GET /users/${user_id}: body is not the user just created"

status="$(request GET "/users?limit=1")"
expect_status "GET /users" 200 "$status"
jq -e '.items | type == "array"' "$body_file" >/dev/null || fail "GET /users: body has no items list"

# Remove the smoke user again: deployed environments keep no test users.
status="$(request DELETE "/users/${user_id}")"
expect_status "DELETE /users/{id}" 202 "$status"
deadline=$((SECONDS + timeout_s))
until [[ "$(request GET "/users/${user_id}")" == 404 ]]; do
  ((SECONDS < deadline)) || fail "GET /users/${user_id}: still there ${timeout_s} s after DELETE"
  sleep 0.5
done
echo "ok    DELETE /users/{id} -> the user is gone"

status="$(request POST /users '{"name":"Smoke Test","email":"not-an-email"}')"
expect_status "POST /users with a bad email" 400 "$status"
jq -e '.error.code == "VALIDATION_FAILED" and (.error.message | test("email"))' "$body_file" >/dev/null ||
  fail "POST /users with a bad email: error body does not name the email field"
echo "ok    error body names the field: $(jq -c '.error.message' "$body_file")"

# Requests no route matches reach the api function through the $default route: the API's error format, not
# API Gateway's own 404 {"message":"Not Found"}.
status="$(request DELETE /users)"
expect_status "DELETE /users (wrong method)" 405 "$status"
jq -e '.error.code == "METHOD_NOT_ALLOWED"' "$body_file" >/dev/null ||
  fail "DELETE /users: error body is not METHOD_NOT_ALLOWED"
# Under an API path (/users/*): the distribution sends it to the API, whose $default route answers it.
status="$(request GET /users/no/such/route)"
expect_status "GET /users/no/such/route" 404 "$status"
jq -e '.error.code == "NOT_FOUND"' "$body_file" >/dev/null || fail "GET /users/no/such/route: error body is not NOT_FOUND"

prediction='{"instances":[{"origin":"SEA","destination":"SFO","departure":"2001-01-13T14:56:00","distance":679}]}'
status="$(request POST /predict "$prediction")"
expect_status "POST /predict" 200 "$status"
jq -e '(.predictions | length == 1)
  and (.predictions[0].delayProbability | type == "number" and . >= 0 and . <= 1)
  and (.predictions[0].delayed | type == "boolean")' "$body_file" >/dev/null ||
  fail "POST /predict: body is not one prediction with a probability in [0, 1]"
echo "ok    prediction: $(jq -c '.predictions[0]' "$body_file")"

# Batch: create (declaring the file's size, signed into the upload URL), upload the file to the presigned URL
# (straight to S3, not through the API), poll, download.
printf '%s\n' 'ref,departure,origin,destination' 'smoke-1,2001-01-13T14:56:00,SEA,SFO' \
  'smoke-2,2001-02-30T10:00:00,JFK,LAX' 'smoke-3,2001-03-01T17:30:00,ORD,ATL' >"$batch_file"
status="$(request POST /batches "{\"format\":\"csv\",\"bytes\":$(wc -c <"$batch_file")}")"
expect_status "POST /batches" 201 "$status"
batch_id="$(jq -r '.id' "$body_file")"
upload_url="$(jq -r '.upload.url' "$body_file")"
mapfile -t upload_headers < <(jq -r '.upload.headers | to_entries[] | "-H\n\(.key): \(.value)"' "$body_file")
upload_status="$(curl --silent --show-error --max-time 30 --output /dev/null --write-out '%{http_code}' \
  -X PUT "${upload_headers[@]}" --data-binary "@${batch_file}" "$upload_url")" || true
expect_status "PUT the batch file to its presigned URL" 200 "${upload_status:-000}"
deadline=$((SECONDS + timeout_s))
while :; do
  status="$(request GET "/batches/${batch_id}")"
  [[ "$status" == 200 ]] || fail "GET /batches/${batch_id}: expected HTTP 200, got $status"
  batch_status="$(jq -r '.status' "$body_file")"
  [[ "$batch_status" == succeeded || "$batch_status" == failed ]] && break
  ((SECONDS < deadline)) || fail "GET /batches/${batch_id}: still $batch_status after ${timeout_s} s"
  sleep 0.5
done
[[ "$batch_status" == succeeded ]] || fail "batch ${batch_id} failed"
jq -e '.rows == {"read": 3, "scored": 2, "rejected": 1} and .errors[0].line == 3' "$body_file" >/dev/null ||
  fail "GET /batches/${batch_id}: expected 2 rows scored and line 3 rejected"
echo "ok    batch: $(jq -c '{rows, errors: [.errors[].line]}' "$body_file")"
result_url="$(jq -r '.result.url' "$body_file")"
curl --silent --show-error --fail --max-time 30 --output "$batch_file" "$result_url" ||
  fail "GET the batch result from its presigned URL"
: >"$body_file"
[[ "$(head -n 1 "$batch_file")" == "ref,departure,origin,destination,delayProbability,delayed" ]] ||
  fail "batch result: unexpected header $(head -n 1 "$batch_file")"
[[ "$(cut -d, -f1 "$batch_file" | tail -n +2 | paste -sd,)" == "smoke-1,smoke-3" ]] ||
  fail "batch result: rows are not smoke-1 and smoke-3 with their ids carried over"
echo "ok    batch result: $(tail -n +2 "$batch_file" | paste -sd' ')"

echo "smoke test passed"

#!/usr/bin/env bash
# A person's Cognito ID token for curl against an environment with the JWT authorizer on. The user pools are
# invite-only (infra/src/constructs/api.ts), so:
#   invite   an operator creates the user; Cognito e-mails a temporary password (needs cognito-idp:AdminCreateUser,
#            the environment's operator role).
#   sign-in  the person signs in to the API's app client (user_pool_client_id) with USER_PASSWORD_AUTH: no AWS
#            credentials needed (--no-sign-request). The first sign-in sets a new password (NEW_PASSWORD_REQUIRED);
#            a user with an authenticator app answers SOFTWARE_TOKEN_MFA. Prints the ID token (its `aud` is the
#            client id the authorizer accepts), valid one hour.
#
# Usage: scripts/delivery/token.sh invite  <outputs.json> <email>
#        scripts/delivery/token.sh sign-in <outputs.json> <email>
#        curl -H "Authorization: Bearer $(scripts/delivery/token.sh sign-in out.json me@example.com)" "$api_url/users"
# Env:   SML_PASSWORD, SML_NEW_PASSWORD, SML_MFA_CODE  answers instead of prompts (the prompts read the terminal)
# Needs: jq, the AWS CLI. <outputs.json> is what scripts/delivery/stack-outputs.sh prints.
set -euo pipefail

usage="usage: token.sh invite|sign-in <outputs.json> <email>"
action="${1:?$usage}"
outputs="${2:?$usage}"
username="${3:?$usage}"
case "$action" in
  invite | sign-in) ;;
  *)
    echo "token: unknown action '${action}' (invite or sign-in)" >&2
    exit 2
    ;;
esac
[[ -f "$outputs" ]] || { echo "token: ${outputs} not found (scripts/delivery/stack-outputs.sh <stack> > it)" >&2; exit 2; }
user_pool_id="$(jq -r '.user_pool_id // empty' "$outputs")"
client_id="$(jq -r '.user_pool_client_id // empty' "$outputs")"
if [[ -z "$user_pool_id" || -z "$client_id" ]]; then
  echo "token: ${outputs} has no user_pool_id/user_pool_client_id: this environment has no JWT authorizer, call it without a token" >&2
  exit 2
fi

# A secret from the environment, or typed at the terminal without echo (never an argument: ps would show it).
answer() {
  local variable="$1" prompt="$2" value="${!1:-}"
  if [[ -z "$value" ]]; then
    [[ -r /dev/tty ]] || { echo "token: set ${variable} (no terminal to ask on)" >&2; exit 2; }
    read -r -s -p "$prompt" value </dev/tty
    echo >&2
  fi
  printf '%s' "$value"
}

if [[ "$action" == invite ]]; then
  aws cognito-idp admin-create-user --user-pool-id "$user_pool_id" --username "$username" \
    --user-attributes "Name=email,Value=${username}" Name=email_verified,Value=true \
    --desired-delivery-mediums EMAIL >/dev/null
  echo "token: invited ${username}; Cognito e-mails a temporary password, then: token.sh sign-in ${outputs} ${username}" >&2
  exit 0
fi

# Requests go in a private file (--cli-input-json): on the command line a password would show in `ps`, and a
# comma in it would break the CLI's shorthand syntax.
umask 077
request="$(mktemp)"
trap 'rm -f "$request"' EXIT
password="$(answer SML_PASSWORD "Password for ${username}: ")"
jq -n --arg c "$client_id" --arg u "$username" --arg p "$password" \
  '{ClientId: $c, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: {USERNAME: $u, PASSWORD: $p}}' >"$request"
response="$(aws cognito-idp initiate-auth --no-sign-request --cli-input-json "file://${request}" --output json)"
# At most two challenges in a row: a new password, then (for a user with MFA) a code.
for _ in 1 2 3; do
  token="$(jq -r '.AuthenticationResult.IdToken // empty' <<<"$response")"
  if [[ -n "$token" ]]; then
    printf '%s\n' "$token"
    exit 0
  fi
  challenge="$(jq -r '.ChallengeName // empty' <<<"$response")"
  session="$(jq -r '.Session // empty' <<<"$response")"
  # The challenge names the user by its internal id (USER_ID_FOR_SRP); Cognito wants that as USERNAME.
  user="$(jq -r --arg u "$username" '.ChallengeParameters.USER_ID_FOR_SRP // $u' <<<"$response")"
  case "$challenge" in
    NEW_PASSWORD_REQUIRED)
      key=NEW_PASSWORD
      value="$(answer SML_NEW_PASSWORD "New password (12+ characters, upper, lower, digit): ")"
      ;;
    SOFTWARE_TOKEN_MFA)
      key=SOFTWARE_TOKEN_MFA_CODE
      value="$(answer SML_MFA_CODE "Authenticator code: ")"
      ;;
    *)
      echo "token: Cognito answered the challenge '${challenge:-none}', which this script does not handle" >&2
      exit 1
      ;;
  esac
  jq -n --arg c "$client_id" --arg n "$challenge" --arg s "$session" --arg u "$user" --arg k "$key" --arg v "$value" \
    '{ClientId: $c, ChallengeName: $n, Session: $s, ChallengeResponses: {USERNAME: $u, ($k): $v}}' >"$request"
  response="$(aws cognito-idp respond-to-auth-challenge --no-sign-request --cli-input-json "file://${request}" --output json)"
done
echo "token: no token after three challenges" >&2
exit 1

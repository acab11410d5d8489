#!/usr/bin/env bash
# A throwaway Cognito user for smoke and integration tests of an environment with the JWT authorizer on
# (stack outputs user_pool_id and user_pool_smoke_test_client_id: the pool's client made for this, the only one
# that allows admin password sign-in). `sign-in` creates the user with a random password, adds it to the `admins`
# group (the smoke test creates, reads and deletes a user: the users directory is the admins group's), signs it
# in with ADMIN_USER_PASSWORD_AUTH and prints its ID token (valid 15 minutes); `delete` removes it. Both do
# nothing and print nothing when the environment has no authorizer.
#
# Usage: scripts/delivery/smoke-user.sh sign-in|delete <outputs.json>
# Env:   SMOKE_USERNAME (required), e.g. smoke-<run id>@example.com
# Needs: jq, openssl, the AWS CLI with cognito-idp:Admin* on the pool.
set -euo pipefail

action="${1:?usage: smoke-user.sh sign-in|delete <outputs.json>}"
outputs="${2:?usage: smoke-user.sh sign-in|delete <outputs.json>}"
username="${SMOKE_USERNAME:?set SMOKE_USERNAME}"
case "$action" in
  sign-in | delete) ;;
  *)
    echo "smoke-user: unknown action '${action}' (sign-in or delete)" >&2
    exit 2
    ;;
esac
user_pool_id="$(jq -r '.user_pool_id // empty' "$outputs")"
client_id="$(jq -r '.user_pool_smoke_test_client_id // empty' "$outputs")"
[[ -n "$user_pool_id" ]] || exit 0
[[ -n "$client_id" ]] || {
  echo "smoke-user: ${outputs} has user_pool_id but no user_pool_smoke_test_client_id; deploy the current infra" >&2
  exit 2
}

case "$action" in
  sign-in)
    # Meets the pool's password policy (infra/src/constructs/api.ts: >= 12 characters, upper, lower, digit).
    password="Sm0ke!$(openssl rand -hex 16)"
    aws cognito-idp admin-create-user --user-pool-id "$user_pool_id" --username "$username" \
      --message-action SUPPRESS >/dev/null
    aws cognito-idp admin-set-user-password --user-pool-id "$user_pool_id" --username "$username" \
      --password "$password" --permanent
    # Before the sign-in: the token carries the groups the user is in when it is issued.
    aws cognito-idp admin-add-user-to-group --user-pool-id "$user_pool_id" --username "$username" \
      --group-name admins
    aws cognito-idp admin-initiate-auth --user-pool-id "$user_pool_id" --client-id "$client_id" \
      --auth-flow ADMIN_USER_PASSWORD_AUTH --auth-parameters "USERNAME=${username},PASSWORD=${password}" \
      --query 'AuthenticationResult.IdToken' --output text
    ;;
  delete)
    aws cognito-idp admin-delete-user --user-pool-id "$user_pool_id" --username "$username" 2>/dev/null || true
    ;;
esac

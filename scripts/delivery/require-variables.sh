#!/usr/bin/env bash
# Fails a workflow job, before it asks for AWS credentials, when a GitHub variable it needs is empty: an unset
# `vars.X` expands to "" and configure-aws-credentials would then fail with a message that names no variable. The
# step passes each variable in its env under the same name.
#
# Usage: scripts/delivery/require-variables.sh <NAME>...     (e.g. AWS_DEPLOY_ROLE_ARN AWS_REGION)
set -euo pipefail

(($# > 0)) || { echo "usage: require-variables.sh <NAME>..." >&2; exit 2; }
missing=()
for name in "$@"; do
  [[ "$name" =~ ^[A-Z][A-Z0-9_]*$ ]] || { echo "require-variables: '${name}' is not a variable name" >&2; exit 2; }
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
  for name in "${missing[@]}"; do
    echo "::error title=GitHub variable ${name}::${name} is empty for this job: set it as a repository variable (AWS_REGION, AWS_PLAN_ROLE_ARN) or a variable of the job's GitHub environment (AWS_DEPLOY_ROLE_ARN); scripts/delivery/github-variables.sh sets them all (docs/deploy.md, \"Fork it\", step 4)"
  done
  echo "require-variables: not set: ${missing[*]}" >&2
  exit 1
fi
echo "require-variables: ${*} set"

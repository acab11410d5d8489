#!/usr/bin/env bash
# Adds a tag to an image already in the registry without pulling or pushing a layer (ECR BatchGetImage, then
# PutImage with the same manifest bytes and digest). A prd deploy tags the image it promotes `prd-<digest hex>`:
# the registry's lifecycle policy expires `prd-` images only beyond its own count, never for dev or preview pushes
# (infra/src/stacks/registry-stack.ts, imageLifecycleRules). Tags are immutable, so the tag names the digest:
# deploying the same image again finds the tag on it and does nothing; the tag on another image is an error.
#
# Usage: scripts/delivery/tag-image.sh <repository-name> <digest> <tag>
# Needs: the AWS CLI (ecr:DescribeImages, ecr:BatchGetImage, ecr:PutImage), jq.
set -euo pipefail

usage="usage: tag-image.sh <repository-name> <digest> <tag>"
repository="${1:?$usage}"
digest="${2:?$usage}"
tag="${3:?$usage}"

fail() {
  echo "tag-image: $*" >&2
  exit 2
}
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "digest '${digest}' is not sha256:<64 hex characters>"
# ECR image tags: letters, digits, '.', '_' and '-', at most 300 characters, not starting with '.' or '-'.
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,299}$ ]] || fail "'${tag}' is not a valid image tag"

existing="$(aws ecr describe-images --repository-name "$repository" --image-ids "imageTag=${tag}" \
  --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)"
if [[ "$existing" == "$digest" ]]; then
  echo "tag-image: ${repository}:${tag} is already ${digest}" >&2
  exit 0
fi
if [[ "$existing" == sha256:* ]]; then
  echo "tag-image: ${repository}:${tag} is already on another image (${existing}); tags are immutable" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
aws ecr batch-get-image --repository-name "$repository" --image-ids "imageDigest=${digest}" \
  --output json >"${work}/image.json"
jq -e '.images | length == 1' "${work}/image.json" >/dev/null \
  || { echo "tag-image: ${repository}@${digest} is not in the registry" >&2; exit 1; }
# The manifest's exact bytes (no newline added): ECR recomputes the digest from them.
jq -j '.images[0].imageManifest' "${work}/image.json" >"${work}/manifest.json"
media_type="$(jq -er '.images[0].imageManifestMediaType' "${work}/image.json")"
aws ecr put-image --repository-name "$repository" --image-tag "$tag" --image-digest "$digest" \
  --image-manifest "file://${work}/manifest.json" --image-manifest-media-type "$media_type" >/dev/null
echo "tag-image: tagged ${repository}@${digest} as ${tag}" >&2

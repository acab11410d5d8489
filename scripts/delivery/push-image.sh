#!/usr/bin/env bash
# Builds the prediction image for Lambda on arm64 from the context `npm run build` wrote and pushes it to ECR
# under the tag given, prints the pushed digest (sha256:...). Tags are immutable in the registry, so a tag that
# already has an image reuses it instead of building again. The tag starts with the environment's prefix
# (SharedConfig.images in infra/src/config: `dev-<commit>`, `pr-<number>-<commit>`), which decides when the
# registry's lifecycle policy may expire it; a tag without a known prefix is refused.
#
# Usage: scripts/delivery/push-image.sh <repository-url> <tag> <context-dir>
# Needs: docker with buildx (and QEMU on non-arm64 hosts), the AWS CLI, a prior `docker login` to the registry.
set -euo pipefail

repository_url="${1:?usage: push-image.sh <repository-url> <tag> <context-dir>}"
tag="${2:?usage: push-image.sh <repository-url> <tag> <context-dir>}"
context="${3:?usage: push-image.sh <repository-url> <tag> <context-dir>}"
repository_name="${repository_url#*/}"
# The prefixes of infra/src/config/environments.ts (images.tagPrefixes) that push images; prd only re-tags.
[[ "$tag" =~ ^(dev-|pr-[0-9]+-)[A-Za-z0-9._-]+$ ]] \
  || { echo "push-image: tag '${tag}' has no environment prefix (dev-<commit>, pr-<number>-<commit>): the registry's lifecycle rules expire images by prefix only" >&2; exit 2; }

existing="$(aws ecr describe-images --repository-name "$repository_name" --image-ids "imageTag=${tag}" \
  --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)"
if [[ "$existing" == sha256:* ]]; then
  echo "push-image: ${repository_url}:${tag} exists (${existing}); reusing it" >&2
  echo "$existing"
  exit 0
fi

[[ -f "${context}/Dockerfile" ]] || { echo "push-image: ${context}/Dockerfile not found; run npm run build" >&2; exit 2; }
metadata="$(mktemp)"
trap 'rm -f "$metadata"' EXIT
# Lambda accepts a single-platform image manifest only: no multi-platform index, no attestation manifests.
docker buildx build \
  --platform linux/arm64 \
  --provenance=false \
  --sbom=false \
  --tag "${repository_url}:${tag}" \
  --metadata-file "$metadata" \
  --push \
  "$context" >&2
digest="$(jq -r '."containerimage.digest"' "$metadata")"
[[ "$digest" == sha256:* ]] || { echo "push-image: buildx reported no digest" >&2; exit 1; }
echo "$digest"

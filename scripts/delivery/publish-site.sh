#!/usr/bin/env bash
# Publishes the built site (npm run build -> dist/site) to an environment's site bucket behind its CloudFront
# distribution: every asset under assets/ (named by its content hash) with a year-long immutable cache, then the
# pages that name them (docs.html, config.json, index.html last) never cached, then one invalidation of the entry
# page only (/ and /index.html). Old assets stay: a page still open in a browser keeps finding its files.
# config.json is written into the site folder first, from the stack's outputs: the page's sign-in settings.
#
# Usage: scripts/delivery/publish-site.sh <outputs.json> <environment> [site-dir]
#   outputs.json  the environment stack's outputs as stack-outputs.sh prints them (site_bucket,
#                 site_distribution_id, site_client_id, sign_in_authority)
#   site-dir      default dist/site
# The cache headers are the ones @sml/contracts/site's siteCacheControl gives (a test holds them equal).
set -euo pipefail

usage="usage: publish-site.sh <outputs.json> <environment> [site-dir]"
outputs="${1:?$usage}"
environment="${2:?$usage}"
site="${3:-dist/site}"
IMMUTABLE="public, max-age=31536000, immutable"
NO_CACHE="no-cache"

fail() { echo "publish-site: $*" >&2; exit 2; }
[[ -f "$outputs" ]] || fail "$outputs not found (scripts/delivery/stack-outputs.sh <stack> > outputs.json)"
[[ -f "$site/index.html" && -d "$site/assets" ]] || fail "$site/index.html or $site/assets missing; run npm run build"
output() { jq -er --arg k "$1" '.[$k] // empty' "$outputs" || fail "$outputs has no $1: is it an environment stack's outputs?"; }
bucket="$(output site_bucket)"
distribution="$(output site_distribution_id)"
client_id="$(output site_client_id)"
authority="$(output sign_in_authority)"

content_type() {
  case "$1" in
    *.html) echo "text/html; charset=utf-8" ;;
    *.js) echo "text/javascript; charset=utf-8" ;;
    *.css) echo "text/css; charset=utf-8" ;;
    *.json) echo "application/json" ;;
    *.png) echo "image/png" ;;
    *.svg) echo "image/svg+xml" ;;
    *) echo "application/octet-stream" ;;
  esac
}
put() { # <file> <key> <cache-control>
  aws s3 cp "$1" "s3://${bucket}/$2" --cache-control "$3" --content-type "$(content_type "$2")" --only-show-errors
}

jq -n --arg clientId "$client_id" --arg authority "$authority" --arg environment "$environment" \
  '{clientId: $clientId, authority: $authority, environment: $environment}' >"$site/config.json"

count=0
while IFS= read -r -d '' file; do
  put "$file" "assets/$(basename "$file")" "$IMMUTABLE"
  count=$((count + 1))
done < <(find "$site/assets" -maxdepth 1 -type f -print0 | sort -z)
for page in docs.html config.json index.html; do
  [[ -f "$site/$page" ]] && put "$site/$page" "$page" "$NO_CACHE"
done
aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/index.html" "/" \
  --query 'Invalidation.Id' --output text >/dev/null
echo "publish-site: ${count} assets and the pages to s3://${bucket}; invalidated / and /index.html on ${distribution}"

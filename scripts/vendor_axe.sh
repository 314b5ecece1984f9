#!/usr/bin/env bash
# Vendor axe-core (the accessibility engine the browser tests inject) from the npm registry.
# Pinned version and checksum: the files are committed, so a fresh clone and CI need no network;
# run this again only to change the version (then update AXE_VERSION and AXE_INTEGRITY).
set -euo pipefail

AXE_VERSION="4.14.1"
# npm's dist.integrity for axe-core@4.14.1 (sha512 of the tarball, base64).
AXE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="

root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/tests/browser/vendor/axe-core"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
tarball="$(npm pack --silent "axe-core@${AXE_VERSION}")"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$AXE_INTEGRITY" ]; then
  echo "axe-core ${AXE_VERSION}: checksum mismatch ($actual)" >&2
  exit 1
fi
tar -xzf "$tarball"
mkdir -p "$target"
cp package/axe.min.js package/LICENSE "$target/"
[ -f package/LICENSE-3RD-PARTY.txt ] && cp package/LICENSE-3RD-PARTY.txt "$target/"
printf 'axe-core %s from the npm registry (%s), licence MPL-2.0 (LICENSE).\nFetched by scripts/vendor_axe.sh; do not edit by hand.\n' \
  "$AXE_VERSION" "$AXE_INTEGRITY" > "$target/VERSION"
echo "axe-core ${AXE_VERSION} -> ${target#"$root"/}"

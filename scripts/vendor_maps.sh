#!/usr/bin/env bash
# Vendor the map libraries into coopchain/static/vendor/ from the npm registry (issue 15, maps).
#
#   scripts/vendor_maps.sh
#
# Pinned versions; `npm pack` fetches each tarball into a temporary directory and only the
# distribution files and the licence are copied. The result is committed, so a clone needs no
# network and the pages never load a CDN. Re-run after changing a version below.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

LEAFLET_VERSION=1.9.4
GEOMAN_VERSION=2.20.2

DEST=coopchain/static/vendor
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

fetch() {  # fetch <package> <version> -> unpacked in $TMP/<dir>/package
  local name="$1" version="$2" dir="$3"
  mkdir -p "$TMP/$dir"
  (cd "$TMP/$dir" && npm pack --silent "$name@$version" >/dev/null && tar -xzf ./*.tgz)
}

fetch leaflet "$LEAFLET_VERSION" leaflet
fetch @geoman-io/leaflet-geoman-free "$GEOMAN_VERSION" geoman

rm -rf "$DEST/leaflet" "$DEST/leaflet-geoman"
mkdir -p "$DEST/leaflet/images" "$DEST/leaflet-geoman"

src="$TMP/leaflet/package"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$DEST/leaflet/"
cp "$src/dist/images/"*.png "$DEST/leaflet/images/"
cp "$src/LICENSE" "$DEST/leaflet/LICENSE"
echo "leaflet $LEAFLET_VERSION (npm registry)" >"$DEST/leaflet/VERSION"

src="$TMP/geoman/package"
cp "$src/dist/leaflet-geoman.js" "$src/dist/leaflet-geoman.css" "$DEST/leaflet-geoman/"
cp "$src/LICENSE" "$DEST/leaflet-geoman/LICENSE"
echo "@geoman-io/leaflet-geoman-free $GEOMAN_VERSION (npm registry)" >"$DEST/leaflet-geoman/VERSION"

echo "Vendored into $DEST:"
find "$DEST" -type f | sort

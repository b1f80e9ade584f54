#!/bin/sh
# Install the pinned npm packages (package-lock.json) and copy the browser
# files the web app needs into static/vendor/ (gitignored, embedded by
# static/static.go). No bundler: the files are UMD builds loaded with
# classic <script> tags.
set -eu
cd "$(dirname "$0")/.."

if [ -f package-lock.json ]; then
	npm ci --ignore-scripts --no-audit --no-fund
else
	npm install --ignore-scripts --no-audit --no-fund
fi

out=static/vendor
rm -rf "$out"
mkdir -p "$out/leaflet/images" "$out/geoman" "$out/markercluster" "$out/heat" "$out/protomaps"

nm=node_modules
cp "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$out/leaflet/"
cp "$nm/leaflet/dist/images/"*.png "$out/leaflet/images/"
cp "$nm/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js" \
	"$nm/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css" "$out/geoman/"
cp "$nm/leaflet.markercluster/dist/leaflet.markercluster.js" \
	"$nm/leaflet.markercluster/dist/MarkerCluster.css" \
	"$nm/leaflet.markercluster/dist/MarkerCluster.Default.css" "$out/markercluster/"
cp "$nm/leaflet.heat/dist/leaflet-heat.js" "$out/heat/"
# The base map's vector-tile renderer (canvas 2D; its IIFE build bundles its own dependencies).
cp "$nm/protomaps-leaflet/dist/protomaps-leaflet.js" "$out/protomaps/"
# Licences travel with the copied files.
cp "$nm/leaflet/LICENSE" "$out/leaflet/LICENSE"
cp "$nm/@geoman-io/leaflet-geoman-free/LICENSE" "$out/geoman/LICENSE" 2>/dev/null || true
cp "$nm/leaflet.markercluster/MIT-LICENCE.txt" "$out/markercluster/LICENSE" 2>/dev/null || true
cp "$nm/leaflet.heat/LICENSE" "$out/heat/LICENSE" 2>/dev/null || true
cp "$nm/protomaps-leaflet/LICENSE" "$out/protomaps/LICENSE" 2>/dev/null || true

echo "vendor assets copied to $out:"
find "$out" -type f | sort

#!/usr/bin/env bash
# Installs what everymeter needs from Debian, only if missing: PostgreSQL 15 + PostGIS 3 (the private
# database), Chromium with CJK fonts (it prints the PDFs: sign boards, 责任书, briefings) and GDAL (ogr2ogr reads a
# county's shapefiles and GeoPackages for `everymeter import FILE`; its ogrinfo is also the tests' OGC API client);
# for the tests also poppler (pdftotext/pdftoppm read the PDFs back) and zbar (decodes QR codes).
# Usage: scripts/install-deps.sh [run|test]
set -euo pipefail
want=(postgresql-15 postgresql-15-postgis-3 chromium fonts-noto-cjk gdal-bin) # fonts-noto-cjk: Chinese text in printed PDFs
if [ "${1:-run}" = test ]; then
  want+=(poppler-utils zbar-tools)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "everymeter needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v npm >/dev/null; then
  echo "npm is needed to fetch Leaflet (apt-get install nodejs npm)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs the Debian packages ruang needs when any is missing; quiet and quick when all are there.
# Runs apt-get as root, or through sudo for an ordinary user.
set -euo pipefail

packages=(
  postgresql-15            # server programs for the embedded cluster (initdb, pg_ctl, postgres)
  postgresql-15-postgis-3  # PostGIS 3 for PostgreSQL 15
  postgresql-client-15     # psql (tests, `ruang db url`), pg_basebackup and pg_verifybackup (`ruang db backup`, the replica test)
  libgdal-dev              # GDAL (import/export)
  libproj-dev              # PROJ (coordinate reference systems)
  gdal-bin                 # ogrinfo / ogr2ogr, the real OGC API client in the tests
  poppler-utils            # pdftoppm / pdftotext: the permit PDF test renders the document
  pkg-config
  clang
  libclang-dev             # bindgen for the GDAL/PROJ -sys crates
  build-essential
  libfreetype-dev          # FreeType, renders the map's label glyphs (/fonts)
  fonts-dejavu-core        # DejaVu Sans, the font of the map labels
  chromium                 # headless browser for the web page tests (driven by playwright-core)
  python3-venv             # the venv of openapi-spec-validator (below), which checks /api in the tests
  qgis                     # QGIS (3.22): its OGC API - Features provider is tested against ruang
  python3-qgis             # PyQGIS, drives that provider headless (scripts/qgis-check.py)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "ruang: installing missing packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "ruang: these packages are missing and neither root nor sudo is available: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "ruang: cargo (Rust 1.85 or newer) is needed; install it with rustup (https://rustup.rs)" >&2
  exit 1
fi

# openapi-spec-validator (PyPI) validates /api in tests/ogc_api.rs; a venv of Debian's python3,
# outside the clone so CI's fresh clones reuse it.
tools="${RUANG_TOOLS_DIR:-/var/tmp/ruang-tools}"
if [ ! -x "$tools/venv/bin/openapi-spec-validator" ]; then
  echo "ruang: installing openapi-spec-validator into $tools/venv"
  rm -rf "$tools/venv"
  mkdir -p "$tools"
  /usr/bin/python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator
fi

# The browser pages' npm packages (MapLibre GL JS, terra-draw, uPlot, playwright-core), from the
# lock file: when web/node_modules is missing, or older than the lock file (a pull or merge that
# added a package; npm ci records what it installed in node_modules/.package-lock.json).
web="$(dirname "$0")/../web"
if [ -f "$web/package-lock.json" ] && { [ ! -d "$web/node_modules" ] \
     || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; }; then
  if ! command -v npm >/dev/null; then
    echo "ruang: npm (Node.js 18 or newer) is needed for the web pages; install nodejs and npm" >&2
    exit 1
  fi
  echo "ruang: installing the web pages' npm packages (npm ci in web/)"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

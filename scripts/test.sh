#!/usr/bin/env bash
# Runs every test against a real PostGIS: starts a private test cluster under /tmp (reachable by
# the postgres user even when the clone sits in a folder only root can enter), points the tests
# at it with RUANG_TEST_DATABASE_URL, and stops it again whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
pgdir="${RUANG_TEST_PGDIR:-/tmp/ruang-test-$(id -u)/pg}"
mkdir -p "$(dirname "$pgdir")"
chmod 755 "$(dirname "$pgdir")"

cargo build --quiet --bin ruang
ruang="$target/debug/ruang"

stop() { RUANG_LOG=warn "$ruang" db stop --data-dir "$pgdir" >/dev/null || true; }
trap stop EXIT

RUANG_LOG=warn "$ruang" db start --data-dir "$pgdir" >/dev/null
RUANG_TEST_DATABASE_URL="$(RUANG_LOG=warn "$ruang" db url --data-dir "$pgdir" | sed 's#/ruang?#/postgres?#')"
export RUANG_TEST_DATABASE_URL

# Drop databases left behind by earlier runs.
psql "$RUANG_TEST_DATABASE_URL" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE 't\_%'" |
  while read -r db; do psql "$RUANG_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done

cargo test --no-fail-fast "$@"

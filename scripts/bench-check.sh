#!/usr/bin/env bash
# make bench-check: the zoning check at scale 1 (demo city, 60,000 registered parcels).
#   1. in-process: rule-set load time, p50/p99 of `rules::check` over 10,000 random parcels of
#      100–5,000 m², and the zone intersection as one PostGIS query per parcel for the ratio
#      (the ignored test `bench_check` in tests/check_api.rs);
#   2. HTTP: `POST /api/check` with wrk over 2,000 of those parcels (lon/lat request bodies),
#      rate limit off.
#
#   DUR=15 CONN=32 N=10000 scripts/bench-check.sh
#
# Uses the same cluster folder as bench-tiles (/tmp/ruang-bench-UID/pg) and loads the demo city
# there when it is missing. Prints the numbers; record them in BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR="${DUR:-15}"
CONN="${CONN:-32}"
THREADS="${THREADS:-2}"
N="${N:-10000}"
SCALE="${SCALE:-1}"
PORT="${PORT:-8094}"
target="${CARGO_TARGET_DIR:-target}"
work="/tmp/ruang-bench-$(id -u)"
pgdir="$work/pg"
mkdir -p "$work"
chmod 755 "$work"

. scripts/bench-setup.sh

echo "== in-process ($N random parcels)"
RUANG_BENCH_DATABASE_URL="$url" RUANG_BENCH_N="$N" RUANG_BENCH_BODIES="$work/check-bodies.jsonl" \
  cargo test --release --quiet --test check_api bench_check -- --ignored --nocapture 2>&1 |
  grep '^BENCH' | tee "$work/check-inprocess.txt"

cat > "$work/check.toml" <<EOF
check_rate_per_sec = 0
[log]
filter = "warn"
EOF
cat > "$work/check.lua" <<'EOF'
local bodies = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = math.random(#bodies)
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/api/check", {["Content-Type"] = "application/json"}, bodies[i])
end
EOF
DATABASE_URL="$url" RUANG_CONFIG="$work/check.toml" "$ruang" serve --bind "127.0.0.1:$PORT" --no-demo &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
# the first check loads the rule set
head -1 "$work/check-bodies.jsonl" |
  curl -fsS -o /dev/null -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$PORT/api/check"

echo "== HTTP POST /api/check: wrk -t$THREADS -c$CONN -d${DUR}s"
wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --latency -s "$work/check.lua" "http://127.0.0.1:$PORT" \
  -- "$work/check-bodies.jsonl" | tee "$work/check-wrk.txt"

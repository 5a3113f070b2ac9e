#!/usr/bin/env bash
# Two builds of ruang side by side on the tile bench's cluster and tile lists, caches off:
# how much one change to the tile path gives. Run `make bench-tiles` once first (it loads the
# cluster and writes the tile lists), build the other binary, then:
#
#   OLD=/path/to/old/ruang DUR=15 RUNS=3 scripts/bench-tiles-ab.sh
#
# Prints one RESULT line per run (old on 8093, new on 8091) and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OLD:?OLD=path to the other ruang binary}"
DUR="${DUR:-15}"
RUNS="${RUNS:-3}"
new="${CARGO_TARGET_DIR:-target}/release/ruang"
work="/tmp/ruang-bench-$(id -u)"
pg="$work/pg"
[ -f "$work/ruang-zones.txt" ] || { echo "run make bench-tiles first" >&2; exit 2; }
RUANG_LOG=warn "$new" db start --data-dir "$pg" >/dev/null
url=$(RUANG_LOG=warn "$new" db url --data-dir "$pg")
RUANG_LOG=warn DATABASE_URL="$url" RUANG_TILE_CACHE_BYTES=0 "$OLD" serve --bind 127.0.0.1:8093 --no-demo &
p1=$!
RUANG_LOG=warn DATABASE_URL="$url" RUANG_TILE_CACHE_BYTES=0 "$new" serve --bind 127.0.0.1:8091 --no-demo &
p2=$!
trap 'kill $p1 $p2 2>/dev/null; wait; RUANG_LOG=warn "$new" db stop --data-dir "$pg" >/dev/null' EXIT
for port in 8091 8093; do
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for layer in ${LAYERS:-zones parcels}; do
  : > "$work/ab-old.runs"
  : > "$work/ab-new.runs"
  for _ in $(seq "$RUNS"); do
    for who in old new; do
      port=$([ $who = old ] && echo 8093 || echo 8091)
      line=$(URLS="$work/ruang-$layer.txt" wrk -t2 -c32 -d"${DUR}s" --latency -s bench/urls.lua "http://127.0.0.1:$port" 2>&1 | grep '^RESULT')
      echo "$layer $who $line"
      echo "$line" >> "$work/ab-$who.runs"
    done
  done
  o=$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$work/ab-old.runs" | median)
  n=$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$work/ab-new.runs" | median)
  echo "$layer: old $o tiles/s, new $n tiles/s, new ÷ old $(python3 -c "print(f'{$n/$o:.2f}')")"
done

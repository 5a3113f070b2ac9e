#!/usr/bin/env bash
# make bench-features: ruang's OGC API - Features items against tipg on the same demo-city parcels
# in the same PostGIS, side by side: wrk, 16 connections, the same shuffled list of bbox pages
# (limit=1000, 0.02-degree boxes over the city) on both; then ruang alone with limit=10000 pages
# to watch its memory. Prints one table and appends it to BENCHMARKS.md.
#
#   DUR=15 RUNS=3 scripts/bench-features.sh
#
# Needs: wrk (installed if missing), tipg and uvicorn (`pip install tipg uvicorn`).
set -euo pipefail
cd "$(dirname "$0")/.."

DUR="${DUR:-15}"
RUNS="${RUNS:-3}"
CONN="${CONN:-16}"
THREADS="${THREADS:-2}"
SCALE="${SCALE:-1}"
target="${CARGO_TARGET_DIR:-target}"
work="/tmp/ruang-bench-features-$(id -u)"
pgdir="$work/pg"
mkdir -p "$work"
chmod 755 "$work"
command -v uvicorn >/dev/null || pip install -q tipg uvicorn

# tipg (asyncpg) cannot use the cluster's Unix socket URL: the cluster also listens on TCP.
export RUANG_PG_PORT="${PG_PORT:-55439}"
. scripts/bench-setup.sh
tipg_url=$(python3 -c "import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(f'postgresql://{p.username}@127.0.0.1:{sys.argv[2]}{p.path}')" "$url" "$RUANG_PG_PORT")

RUANG_LOG=warn DATABASE_URL="$url" "$ruang" serve --bind 127.0.0.1:8093 --no-demo &
pids+=($!)
ruang_pid=$!
DATABASE_URL="$tipg_url" TIPG_DB_SCHEMAS='["public"]' \
  uvicorn tipg.main:app --host 127.0.0.1 --port 8094 --workers 2 --log-level warning >"$work/tipg.log" 2>&1 &
pids+=($!)
for port in 8093 8094; do
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/collections" >/dev/null && break
    sleep 0.5
  done
done

# 500 random 0.02-degree boxes inside the city's extent (fixed seed).
read -r w s e n < <(psql "$url" -qAt -F ' ' -c "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT ST_Extent(geom)::geometry g FROM parcels) t")
python3 - "$w" "$s" "$e" "$n" > "$work/boxes.txt" <<'PY'
import random, sys
w, s, e, n = map(float, sys.argv[1:])
r = random.Random(7)
for _ in range(500):
    x = r.uniform(w, e - 0.02); y = r.uniform(s, n - 0.02)
    print(f"{x:.5f},{y:.5f},{x + 0.02:.5f},{y + 0.02:.5f}")
PY
awk '{print "/collections/parcels/items?limit=1000&bbox=" $1}' "$work/boxes.txt" > "$work/ruang.txt"
awk '{print "/collections/public.parcels/items?limit=1000&bbox=" $1}' "$work/boxes.txt" > "$work/tipg.txt"
awk '{print "/collections/parcels/items?limit=10000&bbox=" $1}' "$work/boxes.txt" > "$work/ruang-10k.txt"

# Both must return the same features for the same page: compare numberReturned on a sample.
feats=0
for i in 1 50 100 200 300; do
  a=$(curl -s "http://127.0.0.1:8093$(sed -n "${i}p" "$work/ruang.txt")" | python3 -c "import json,sys; t=sys.stdin.read(); d=json.loads(t); print(d['numberReturned']) if 'numberReturned' in d else sys.exit('no numberReturned: ' + t[:300])")
  b=$(curl -s "http://127.0.0.1:8094$(sed -n "${i}p" "$work/tipg.txt")" | python3 -c "import json,sys; t=sys.stdin.read(); d=json.loads(t); print(d['numberReturned']) if 'numberReturned' in d else sys.exit('no numberReturned: ' + t[:300])")
  [ "$a" = "$b" ] || { echo "page $i: ruang returned $a features, tipg $b" >&2; exit 1; }
  feats=$((feats + a))
done
avg=$(python3 -c "
import json, urllib.request
t = 0
lines = open('$work/ruang.txt').read().split()
for p in lines:
    t += json.load(urllib.request.urlopen('http://127.0.0.1:8093' + p))['numberReturned']
print(t / len(lines))")

run_wrk() { URLS="$2" wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --latency -s bench/urls.lua "http://127.0.0.1:$3" 2>&1 | grep '^RESULT' >> "$work/$1.runs"; }
peak_rss=0
sample_rss() { local r; r=$(ps -o rss= -p "$ruang_pid" 2>/dev/null || echo 0); [ "$r" -gt "$peak_rss" ] && peak_rss=$r; true; }

rm -f "$work"/*.runs
for r in $(seq 1 "$RUNS"); do
  run_wrk ruang "$work/ruang.txt" 8093
  run_wrk tipg "$work/tipg.txt" 8094
done
idle_rss=$(ps -o rss= -p "$ruang_pid")
run_wrk ruang10k "$work/ruang-10k.txt" 8093 & wpid=$!
while kill -0 $wpid 2>/dev/null; do sample_rss; sleep 0.5; done
for who in ruang tipg ruang10k; do
  f="$work/$who.runs"
  printf -v "${who}_rps" '%s' "$(field rps < "$f" | median)"
  printf -v "${who}_p50" '%s' "$(field p50_ms < "$f" | median)"
  printf -v "${who}_p99" '%s' "$(field p99_ms < "$f" | median)"
  printf -v "${who}_non2xx" '%s' "$(field non2xx < "$f" | awk '{s+=$1} END {print s+0}')"
  printf -v "${who}_errors" '%s' "$(field errors < "$f" | awk '{s+=$1} END {print s+0}')"
done
ratio=$(python3 -c "print(f'{$ruang_rps/$tipg_rps:.2f}')")
rf=$(python3 -c "print(f'{$ruang_rps*$avg:.0f}')")
tf=$(python3 -c "print(f'{$tipg_rps*$avg:.0f}')")
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
table=$(cat <<EOT

## OGC API - Features items vs tipg — $(date -u +%Y-%m-%d)

Machine: $(nproc) cores ($cpu); PostgreSQL 15 + PostGIS 3.3, demo city at scale $SCALE
($(psql "$url" -qAtc "SELECT count(*) FROM parcels") parcels). Load: wrk, $CONN connections, $THREADS threads, ${DUR} s per run, median of
$RUNS runs per server, run alternately; the same 500 pages \`/collections/parcels/items?limit=1000&bbox=<0.02° box>\`
(on average $avg features per page, the same count from both servers) cycled on both sides.
tipg $(pip show tipg 2>/dev/null | sed -n 's/^Version: //p') with 2 uvicorn workers; ruang release build.

| server | pages/s | features/s | p50 / p99 ms | non-2xx | wrk errors (timeouts) |
|---|---|---|---|---|---|
| ruang | $ruang_rps | $rf | $ruang_p50 / $ruang_p99 | $ruang_non2xx | $ruang_errors |
| tipg | $tipg_rps | $tf | $tipg_p50 / $tipg_p99 | $tipg_non2xx | $tipg_errors |

ruang ÷ tipg: **${ratio}×**. ruang with \`limit=10000\` pages (whole boxes), $CONN connections: $ruang10k_rps pages/s,
p50 $ruang10k_p50 ms, p99 $ruang10k_p99 ms; RSS $(( idle_rss / 1024 )) MB before, peak $(( peak_rss / 1024 )) MB during (pages are streamed).
Command: \`DUR=$DUR RUNS=$RUNS make bench-features\`.
EOT
)
echo "$table"
echo "$table" >> BENCHMARKS.md

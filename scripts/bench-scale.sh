#!/usr/bin/env bash
# make bench-scale: one ruang node on the primary against two nodes (one on the primary, one
# reading from a streaming hot standby made with pg_basebackup), on this one machine, with the
# same distinct z14-z17 tile list (every tile over the city, shuffled) and the same items pages.
# Tile caches are off (--tile-cache-bytes 0) so every tile is rendered by PostgreSQL. Each
# setup runs RUNS times alternately; medians are reported. Prints one table and appends it to
# BENCHMARKS.md.
#
#   DUR=10 RUNS=3 CONN=16 scripts/bench-scale.sh
#
# Needs: wrk (installed if missing). The two-node load is two wrk processes at once, CONN/2
# connections each, one per node (what a load balancer spreading evenly does).
set -euo pipefail
cd "$(dirname "$0")/.."

DUR="${DUR:-10}"
RUNS="${RUNS:-3}"
CONN="${CONN:-16}"
THREADS="${THREADS:-1}"
SCALE="${SCALE:-1}"
target="${CARGO_TARGET_DIR:-target}"
work="/tmp/ruang-bench-scale-$(id -u)"
pgdir="$work/primary"
standby="$work/standby"
mkdir -p "$work"
chmod 755 "$work"
. scripts/bench-setup.sh

stop_all() {
  cleanup
  RUANG_LOG=warn "$ruang" db stop --data-dir "$standby" >/dev/null 2>&1 || true
}
trap stop_all EXIT

# The standby: a fresh base backup of the primary, streaming from it.
RUANG_LOG=warn "$ruang" db stop --data-dir "$standby" >/dev/null 2>&1 || true
rm -rf "$standby"
mkdir -m 700 "$standby"
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$standby"
  as_pg=(runuser -u postgres --)
fi
(cd / && "${as_pg[@]}" "$bindir/pg_basebackup" -D "$standby" -R -X stream -c fast -h "$pgdir" -U postgres)
RUANG_LOG=warn "$ruang" db start --data-dir "$standby" >/dev/null
standby_url="$(RUANG_LOG=warn "$ruang" db url --data-dir "$standby")"

node() { # port [replica-url] [metrics-port]
  local env=(RUANG_LOG=warn DATABASE_URL="$url")
  [ -n "${2:-}" ] && env+=(RUANG_DATABASE_READ_URLS="$2" RUANG_METRICS_BIND="127.0.0.1:$3")
  env "${env[@]}" "$ruang" serve --bind "127.0.0.1:$1" --no-demo --tile-cache-bytes 0 &
  pids+=($!)
}
node 8095                       # the single node
node 8096                       # the pair: one on the primary,
node 8097 "$standby_url" 9197   # one reading from the standby
for port in 8095 8096 8097; do
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.5
  done
done
for _ in $(seq 1 100); do
  curl -s http://127.0.0.1:9197/metrics | grep -q '^ruang_replica_up{replica="replica0"} 1' && break
  sleep 0.2
done

# Every z14-z17 tile of the `city` tileset over the city's box, shuffled (fixed seed); items
# pages of parcels (limit=100) over 500 random 0.01-degree boxes.
read -r w s e n < <(psql "$url" -qAt -F ' ' -c "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT ST_Extent(geom)::geometry g FROM admin_areas WHERE level = 'kota') t")
python3 - "$w" "$s" "$e" "$n" "$work" <<'EOF'
import math, random, sys
w, s, e, n = map(float, sys.argv[1:5])
work = sys.argv[5]
def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k)
    return x, y
out = []
for z in range(14, 18):
    x0, y0 = tile(w, n, z)
    x1, y1 = tile(e, s, z)
    out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
random.Random(42).shuffle(out)
with open(f"{work}/tiles.txt", "w") as f:
    for z, x, y in out:
        f.write(f"/tiles/city/{z}/{x}/{y}\n")
r = random.Random(7)
with open(f"{work}/items.txt", "w") as f:
    for _ in range(500):
        x = r.uniform(w, e - 0.01); y = r.uniform(s, n - 0.01)
        f.write(f"/collections/parcels/items?limit=100&bbox={x:.5f},{y:.5f},{x + 0.01:.5f},{y + 0.01:.5f}\n")
EOF
ntiles=$(wc -l < "$work/tiles.txt")

wrk_on() { # urls port conns -> RESULT line
  URLS="$1" wrk -t"$THREADS" -c"$3" -d"${DUR}s" --latency -s bench/urls.lua "http://127.0.0.1:$2" 2>&1 | grep '^RESULT'
}
# CPU ticks (1/100 s) used so far by a process, or by every process of a cluster.
ticks_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cluster_ticks() {
  local pm; pm=$(head -1 "$1/postmaster.pid")
  { echo "$pm"; pgrep -P "$pm"; } | while read -r p; do ticks_of "$p"; done | awk '{s+=$1} END {print s+0}'
}
reads() { curl -s http://127.0.0.1:9197/metrics | sed -n "s/^ruang_db_reads_total{target=\"$1\"} //p"; }

rm -f "$work"/*.runs
r0=$(reads replica); p0=$(reads primary)
for kind in tiles items; do
  for r in $(seq 1 "$RUNS"); do
    n0=$(ticks_of "${pids[0]}"); d0=$(cluster_ticks "$pgdir")
    line=$(wrk_on "$work/$kind.txt" 8095 "$CONN")
    n1=$(ticks_of "${pids[0]}"); d1=$(cluster_ticks "$pgdir")
    req=$(echo "$line" | field requests)
    echo "$line node_us=$(( (n1 - n0) * 10000 / (req > 0 ? req : 1) )) db_us=$(( (d1 - d0) * 10000 / (req > 0 ? req : 1) ))" >> "$work/$kind-one.runs"
    half=$((CONN / 2))
    s0=$(cluster_ticks "$standby")
    wrk_on "$work/$kind.txt" 8096 "$half" > "$work/a.out" & a=$!
    wrk_on "$work/$kind.txt" 8097 "$half" > "$work/b.out" & b=$!
    wait $a $b
    s1=$(cluster_ticks "$standby")
    breq=$(field requests < "$work/b.out")
    echo "standby_us=$(( (s1 - s0) * 10000 / (breq > 0 ? breq : 1) ))" >> "$work/$kind-standby.cpu"
    # the pair's throughput is the sum, its latency the worse of the two
    python3 - "$work/a.out" "$work/b.out" >> "$work/$kind-two.runs" <<'EOF'
import re, sys
v = [dict(re.findall(r"(\w+)=([0-9.]+)", open(p).read())) for p in sys.argv[1:]]
print("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d rps_replica_node=%.1f" % (
    sum(float(x["rps"]) for x in v), max(float(x["p50_ms"]) for x in v),
    max(float(x["p99_ms"]) for x in v), sum(int(x["non2xx"]) for x in v),
    sum(int(x["errors"]) for x in v), float(v[1]["rps"])))
EOF
  done
done
r1=$(reads replica); p1=$(reads primary)
share=$(python3 -c "r=$r1-$r0; p=$p1-$p0; print(f'{100*r/max(r+p,1):.0f}')")

row() { # kind setup
  local f="$work/$1-$2.runs"
  echo "$(field rps < "$f" | median) | $(field p50_ms < "$f" | median) / $(field p99_ms < "$f" | median) | $(field non2xx < "$f" | awk '{s+=$1} END {print s+0}') | $(field errors < "$f" | awk '{s+=$1} END {print s+0}')"
}
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
table=$(cat <<EOT

## Scale-out on one machine: one node against two nodes + a streaming replica — $(date -u +%Y-%m-%d)

Machine: $(nproc) cores ($cpu), shared with other work while measuring (the figures are noisy);
PostgreSQL 15 + PostGIS 3.3, demo city at scale $SCALE ($(psql "$url" -qAtc "SELECT count(*) FROM parcels") parcels), primary and standby
(\`pg_basebackup -R -X stream\`) on the same disk and cores. ruang $(basename "$(dirname "$ruang")") build, tile cache off.
Load: wrk, $CONN connections in all (two nodes: $((CONN / 2)) each, at once), ${DUR} s per run, median of $RUNS runs,
setups alternated. Tiles: the same $ntiles distinct z14-z17 \`city\` tiles; items: 500 pages
\`/collections/parcels/items?limit=100&bbox=<0.01° box>\`. Of the replica node's reads, ${share}% went to the standby.

| load | setup | req/s | p50 / p99 ms | non-2xx | wrk errors |
|---|---|---|---|---|---|
| tiles | 1 node, primary | $(row tiles one) |
| tiles | 2 nodes, primary + standby | $(row tiles two) |
| items | 1 node, primary | $(row items one) |
| items | 2 nodes, primary + standby | $(row items two) |

CPU per request on the single node (median): tiles $(field node_us < "$work/tiles-one.runs" | median) µs in ruang +
$(field db_us < "$work/tiles-one.runs" | median) µs in PostgreSQL; items pages $(field node_us < "$work/items-one.runs" | median) µs in ruang +
$(field db_us < "$work/items-one.runs" | median) µs in PostgreSQL. The standby's PostgreSQL per request of the replica node (replay
included): tiles $(field standby_us < "$work/tiles-standby.cpu" | median) µs, items $(field standby_us < "$work/items-standby.cpu" | median) µs.

Command: \`DUR=$DUR RUNS=$RUNS CONN=$CONN make bench-scale\`.
EOT
)
echo "$table"
echo "$table" >> BENCHMARKS.md

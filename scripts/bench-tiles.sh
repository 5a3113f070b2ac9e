#!/usr/bin/env bash
# make bench-tiles: ruang against martin on the same demo-city tables in the same PostGIS, side
# by side in one run, with wrk at 32 connections over the same shuffled list of every z14-z17
# tile over the city. Prints one table and appends it to BENCHMARKS.md.
#
#   DUR=15 RUNS=3 scripts/bench-tiles.sh       (RECORD=0: print only, LAYERS="zones": fewer layers)
#
# Needs: wrk (installed here if missing) and martin 1.14 (installed into /opt/martin if missing,
# as ../shared/PEERS.md describes; that build takes about 20 minutes once).
set -euo pipefail
cd "$(dirname "$0")/.."

DUR="${DUR:-15}"
RUNS="${RUNS:-3}"
CONN="${CONN:-32}"
THREADS="${THREADS:-2}"
SCALE="${SCALE:-1}"
target="${CARGO_TARGET_DIR:-target}"
martin="${MARTIN:-/opt/martin/bin/martin}"
work="/tmp/ruang-bench-$(id -u)"
pgdir="$work/pg"
mkdir -p "$work"
chmod 755 "$work"

if [ ! -x "$martin" ]; then
  echo "installing martin 1.14.0 into /opt/martin (about 20 minutes, once)"
  cargo install martin@1.14.0 --locked --root /opt/martin --no-default-features \
    --features fonts,mbtiles,metrics,pmtiles,postgres,sprites,styles,webui,geojson
fi

. scripts/bench-setup.sh

# ruang uncached on 8091, cached on 8092; martin on 3000 (cache off).
RUANG_LOG=warn DATABASE_URL="$url" RUANG_TILE_CACHE_BYTES=0 "$ruang" serve --bind 127.0.0.1:8091 --no-demo &
pids+=($!)
RUANG_LOG=warn DATABASE_URL="$url" RUANG_TILE_CACHE_BYTES=268435456 "$ruang" serve --bind 127.0.0.1:8092 --no-demo &
pids+=($!)
cat > "$work/martin.yaml" <<EOF
listen_addresses: '127.0.0.1:3000'
cache: disable
postgres:
  connection_string: '$url'
  pool_size: 20
  auto_publish:
    tables:
      from_schemas: public
EOF
RUST_LOG=warn "$martin" --config "$work/martin.yaml" >"$work/martin.log" 2>&1 &
pids+=($!)
ruang_pid="${pids[0]}"

for port in 8091 8092 3000; do
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/$([ $port = 3000 ] && echo catalog || echo readyz)" >/dev/null && break
    sleep 0.5
  done
done

# martin names a table with two geometry columns "<table>" and "<table>.1"; pick the source
# that serves the `geom` column (the store of record, EPSG:4326) as a martin user would.
martin_source() {
  local table=$1
  for id in $(curl -s http://127.0.0.1:3000/catalog | python3 -c "import json,sys; print(' '.join(k for k in json.load(sys.stdin)['tiles'] if k.split('.')[0]=='$table'))"); do
    if curl -s "http://127.0.0.1:3000/$id" | grep -q "\"public.$table.geom\""; then echo "$id"; return; fi
  done
  echo "$table"
}

# Every tile z14..z17 over the city's bounding box, shuffled with a fixed seed.
read -r w s e n < <(psql "$url" -qAt -F ' ' -c "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT ST_Extent(geom)::geometry g FROM admin_areas WHERE level = 'kota') t")
python3 - "$w" "$s" "$e" "$n" > "$work/tiles.txt" <<'EOF'
import math, random, sys
w, s, e, n = map(float, sys.argv[1:])
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
for z, x, y in out:
    print(z, x, y)
EOF
ntiles=$(wc -l < "$work/tiles.txt")

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

# CPU ticks (1/100 s) used so far by the server on port $1 plus every PostgreSQL backend of the
# bench cluster: per-request CPU is the machine-load-independent half of the comparison.
server_pid() { case $1 in 8091) echo "${pids[0]}";; 8092) echo "${pids[1]}";; 3000) echo "${pids[2]}";; esac; }
cpu_ticks() {
  local pm; pm=$(head -1 "$pgdir/postmaster.pid")
  { echo "$(server_pid "$1")"; pgrep -P "$pm"; } | while read -r p; do
    awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
  done | awk '{s+=$1} END {print s+0}'
}

run_wrk() { # name urls-file port -> appends RESULT line (with cpu_us per request) to $work/<name>.runs
  local t0 t1 line
  t0=$(cpu_ticks "$3")
  line=$(URLS="$2" wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --latency -s bench/urls.lua "http://127.0.0.1:$3" 2>&1 | grep '^RESULT')
  t1=$(cpu_ticks "$3")
  local req; req=$(echo "$line" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
  echo "$line cpu_us=$(( (t1 - t0) * 10000 / (req > 0 ? req : 1) ))" >> "$work/$1.runs"
}

peak_rss=0
sample_rss() { local r; r=$(ps -o rss= -p "$ruang_pid" 2>/dev/null || echo 0); [ "$r" -gt "$peak_rss" ] && peak_rss=$r; true; }

rm -f "$work"/*.runs
rows=()
for layer in ${LAYERS:-zones parcels}; do
  msrc=$(martin_source "$layer")
  awk -v l="$layer" '{print "/tiles/" l "/" $1 "/" $2 "/" $3}' "$work/tiles.txt" > "$work/ruang-$layer.txt"
  awk -v l="$msrc" '{print "/" l "/" $1 "/" $2 "/" $3}' "$work/tiles.txt" > "$work/martin-$layer.txt"
  # warm the cached instance with one pass over the list
  URLS="$work/ruang-$layer.txt" wrk -t2 -c8 -d"$(( ntiles / 500 + 3 ))s" -s bench/urls.lua http://127.0.0.1:8092 >/dev/null 2>&1
  for r in $(seq 1 "$RUNS"); do
    run_wrk "ruang-$layer" "$work/ruang-$layer.txt" 8091 & wpid=$!
    while kill -0 $wpid 2>/dev/null; do sample_rss; sleep 1; done
    run_wrk "martin-$layer" "$work/martin-$layer.txt" 3000
    run_wrk "cached-$layer" "$work/ruang-$layer.txt" 8092
  done
  for who in ruang martin cached; do
    f="$work/$who-$layer.runs"
    printf -v "${who}_rps" '%s' "$(field rps < "$f" | median)"
    printf -v "${who}_p50" '%s' "$(field p50_ms < "$f" | median)"
    printf -v "${who}_p99" '%s' "$(field p99_ms < "$f" | median)"
    printf -v "${who}_cpu" '%s' "$(field cpu_us < "$f" | median)"
    printf -v "${who}_non2xx" '%s' "$(field non2xx < "$f" | awk '{s+=$1} END {print s+0}')"
  done
  ratio=$(python3 -c "print(f'{$ruang_rps/$martin_rps:.2f}')")
  cratio=$(python3 -c "print(f'{$cached_rps/$ruang_rps:.1f}')")
  rows+=("| $layer | $ruang_rps | $ruang_p50 / $ruang_p99 | $ruang_cpu | $martin_rps | $martin_p50 / $martin_p99 | $martin_cpu | **${ratio}×** | $cached_rps | $cached_cpu | ${cratio}× |")
  echo "$layer: ruang $ruang_rps/s (${ruang_cpu} µs CPU/tile), martin ($msrc) $martin_rps/s (${martin_cpu} µs), ratio $ratio; cached $cached_rps/s (${cached_cpu} µs, ${cratio}× uncached); non-2xx ruang=$ruang_non2xx martin=$martin_non2xx cached=$cached_non2xx"
done

# The load tool's ceiling here: the same wrk against /healthz, which touches neither cache nor
# database. The cached column cannot beat it; on a small machine it bounds "cached ÷ uncached".
for _ in $(seq 1 "$RUNS"); do
  wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" "http://127.0.0.1:8092/healthz" 2>&1 \
    | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' >> "$work/ceiling.runs"
done
ceiling=$(median < "$work/ceiling.runs")
echo "load-tool ceiling (wrk against /healthz): $ceiling requests/s"

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
table=$(cat <<EOF

## Vector tiles vs martin — $(date -u +%Y-%m-%d)

Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GB; PostgreSQL 15 + PostGIS 3.3, demo city
at scale $SCALE ($(psql "$url" -qAtc "SELECT count(*) FROM zones") zones, $(psql "$url" -qAtc "SELECT count(*) FROM parcels") parcels).
Load: wrk, $CONN connections, $THREADS threads, ${DUR} s per run, median of $RUNS runs per server,
run alternately; the same $ntiles distinct tiles (every z14-z17 tile over the city's bounding
box, shuffled) cycled in the same order on both sides. Caches off on both sides except in the
"cached" column (ruang's cache, warmed by one pass). martin 1.14.0 auto-publishes the tables and
serves their \`geom\` column (EPSG:4326, transformed per row); ruang serves its layer files
(stored EPSG:3857 copy, the properties the map needs).

| layer | ruang tiles/s | ruang p50 / p99 ms | ruang CPU µs/tile | martin tiles/s | martin p50 / p99 ms | martin CPU µs/tile | ruang ÷ martin | ruang cached tiles/s | cached CPU µs/tile | cached ÷ uncached |
|---|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")

CPU µs/tile: the server's CPU plus every PostgreSQL backend's, read from /proc before and after
each run, divided by the requests (wrk's own CPU not counted).
ruang's peak RSS during the uncached runs: $(( peak_rss / 1024 )) MB.
The load tool's ceiling on this machine (the same wrk against \`/healthz\`, no cache or database): $ceiling requests/s.
Command: \`DUR=$DUR RUNS=$RUNS make bench-tiles\`.
EOF
)
echo "$table"
# RECORD=0 for a trial run that leaves BENCHMARKS.md alone.
[ "${RECORD:-1}" = 0 ] || echo "$table" >> BENCHMARKS.md

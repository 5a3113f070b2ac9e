#!/usr/bin/env bash
# make bench-tiles: ruang against martin on the same demo-city tables in the same PostGIS, side
# by side in one run, with wrk at 32 connections. Two tables, both printed and appended to
# BENCHMARKS.md:
#
# 1. martin as its users run it: auto-published tables (the `geom` column, EPSG:4326, every
#    column), over every z14-z17 tile of the city's bounding box (empty ones included);
# 2. the same work: martin given what ruang reads (the stored geom_3857 column, the layer file's
#    properties, a view of the active plan's zones) over only the z14-z17 tiles that hold
#    features, caches off on both sides; ruang once as shipped (zones and parcels cut
#    in-process) and once with RUANG_TILE_MEMORY_BYTES=0 (every tile through PostGIS).
#
#   DUR=15 RUNS=3 scripts/bench-tiles.sh
#     RECORD=0: print only; LAYERS="zones": fewer layers; SAME_WORK=0: table 1 only;
#     SAME_WORK=only: table 2 only.
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
SAME_WORK="${SAME_WORK:-1}"
LAYERS="${LAYERS:-zones parcels}"
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

# ruang uncached on 8091, cached on 8092, uncached with every tile from PostGIS on 8093;
# martin as auto-published on 3000, martin on the same work on 3001 (caches off).
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
RUANG_LOG=warn DATABASE_URL="$url" RUANG_TILE_CACHE_BYTES=0 RUANG_TILE_MEMORY_BYTES=0 "$ruang" serve --bind 127.0.0.1:8093 --no-demo &
pids+=($!)

psql "$url" -qc "CREATE OR REPLACE VIEW bench_zones_same AS
  SELECT id, zone_code, subzone_code, subzone_name, color_class, kdb_max, klb_max, height_max, geom_3857
    FROM zones WHERE plan_active" >/dev/null
pgtype() { psql "$url" -qAtc "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$1'::regclass AND attname = '$2'"; }
same_source() { # martin source name, relation, properties...
  local name=$1 rel=$2 p
  shift 2
  cat <<EOF
    $name:
      schema: public
      table: $rel
      srid: 3857
      geometry_column: geom_3857
      id_column: id
      geometry_type: GEOMETRY
      extent: 4096
      buffer: 64
      clip_geom: true
      properties:
EOF
  for p in "$@"; do echo "        $p: $(pgtype "$rel" "$p")"; done
}
{
  cat <<EOF
listen_addresses: '127.0.0.1:3001'
cache: disable
postgres:
  connection_string: '$url'
  pool_size: 20
  auto_publish: false
  tables:
EOF
  same_source same_zones bench_zones_same zone_code subzone_code subzone_name color_class kdb_max klb_max height_max
  same_source same_parcels parcels kind parcel_number permit_number
} > "$work/martin-same.yaml"
RUST_LOG=warn "$martin" --config "$work/martin-same.yaml" >"$work/martin-same.log" 2>&1 &
pids+=($!)

for port in 8091 8092 8093 3000 3001; do
  path=readyz
  case $port in 300?) path=catalog ;; esac
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/$path" >/dev/null && break
    sleep 0.5
  done
done

# The in-process snapshots load in the background after start: wait until they are current.
memory_state() {
  curl -s http://127.0.0.1:8091/readyz | python3 -c "
import json, sys
t = json.load(sys.stdin).get('tiles_in_memory', {})
if sys.argv[1] == 'ready':
    sys.exit(0 if t and all(v['state'] == 'current' for v in t.values()) else 1)
print(', '.join(f\"{k} {v['state']}, {v['features']} features, {(v['bytes'] or 0) / 1048576:.1f} MiB\" for k, v in t.items()) or 'none')
" "$1"
}
for _ in $(seq 1 240); do
  memory_state ready && break
  sleep 0.5
done
memory=$(memory_state show)
echo "cut in-process: $memory"

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


# CPU ticks (1/100 s) used so far by the server on port $1 plus every PostgreSQL backend of the
# bench cluster: per-request CPU is the machine-load-independent half of the comparison.
server_pid() { case $1 in 8091) echo "${pids[0]}";; 8092) echo "${pids[1]}";; 3000) echo "${pids[2]}";; 8093) echo "${pids[3]}";; 3001) echo "${pids[4]}";; esac; }
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

# RSS of one server (pid $1), sampled every second while a run goes on (the peak is kept in
# the variable named $2).
sample_while() { # pid var wrk-pid
  local r
  while kill -0 "$3" 2>/dev/null; do
    r=$(ps -o rss= -p "$1" 2>/dev/null || echo 0)
    [ "$r" -gt "${!2}" ] && printf -v "$2" '%s' "$r"
    sleep 1
  done
}

# run_wrk while the RSS of ruang ($ruang_pid) is sampled (the peak is kept in the variable $1)
run_wrk_sampled() { # var name urls-file port
  local var=$1 wpid
  shift
  run_wrk "$@" & wpid=$!
  sample_while "$ruang_pid" "$var" "$wpid"
  wait "$wpid"
}

# the ruang and martin URL lists of layer $2 (martin source $3) for the tiles "z x y" in $1
url_lists() { # tiles-file layer martin-source ruang-out martin-out
  awk -v l="$2" '{print "/tiles/" l "/" $1 "/" $2 "/" $3}' "$1" > "$4"
  awk -v l="$3" '{print "/" l "/" $1 "/" $2 "/" $3}' "$1" > "$5"
}

# medians of $work/<prefix>-<who>-<layer>.runs into <var-prefix><who>_{rps,p50,p99,cpu,non2xx}
medians() { # file-prefix layer var-prefix who...
  local fp=$1 layer=$2 vp=$3 who f
  shift 3
  for who in "$@"; do
    f="$work/$fp$who-$layer.runs"
    printf -v "${vp}${who}_rps" '%s' "$(field rps < "$f" | median)"
    printf -v "${vp}${who}_p50" '%s' "$(field p50_ms < "$f" | median)"
    printf -v "${vp}${who}_p99" '%s' "$(field p99_ms < "$f" | median)"
    printf -v "${vp}${who}_cpu" '%s' "$(field cpu_us < "$f" | median)"
    printf -v "${vp}${who}_non2xx" '%s' "$(field non2xx < "$f" | awk '{s+=$1} END {print s+0}')"
  done
}

rm -f "$work"/*.runs

# --- table 1: martin as its users run it ---------------------------------------------------------
rows=()
peak_rss=0
if [ "$SAME_WORK" != only ]; then
  for layer in $LAYERS; do
    msrc=$(martin_source "$layer")
    url_lists "$work/tiles.txt" "$layer" "$msrc" "$work/ruang-$layer.txt" "$work/martin-$layer.txt"
    # warm the cached instance with one pass over the list
    URLS="$work/ruang-$layer.txt" wrk -t2 -c8 -d"$(( ntiles / 500 + 3 ))s" -s bench/urls.lua http://127.0.0.1:8092 >/dev/null 2>&1
    for _ in $(seq 1 "$RUNS"); do
      run_wrk_sampled peak_rss "ruang-$layer" "$work/ruang-$layer.txt" 8091
      run_wrk "martin-$layer" "$work/martin-$layer.txt" 3000
      run_wrk "cached-$layer" "$work/ruang-$layer.txt" 8092
    done
    medians "" "$layer" "" ruang martin cached
    ratio=$(python3 -c "print(f'{$ruang_rps/$martin_rps:.2f}')")
    cratio=$(python3 -c "print(f'{$cached_rps/$ruang_rps:.1f}')")
    rows+=("| $layer | $ruang_rps | $ruang_p50 / $ruang_p99 | $ruang_cpu | $martin_rps | $martin_p50 / $martin_p99 | $martin_cpu | **${ratio}×** | $cached_rps | $cached_cpu | ${cratio}× |")
    echo "$layer: ruang $ruang_rps/s (${ruang_cpu} µs CPU/tile), martin ($msrc) $martin_rps/s (${martin_cpu} µs), ratio $ratio; cached $cached_rps/s (${cached_cpu} µs, ${cratio}× uncached); non-2xx ruang=$ruang_non2xx martin=$martin_non2xx cached=$cached_non2xx"
  done

  # The load tool's ceiling here: the same wrk against /healthz, which touches neither cache
  # nor database. The cached column cannot beat it; on a small machine it bounds
  # "cached ÷ uncached".
  for _ in $(seq 1 "$RUNS"); do
    wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" "http://127.0.0.1:8092/healthz" 2>&1 \
      | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' >> "$work/ceiling.runs"
  done
  ceiling=$(median < "$work/ceiling.runs")
  echo "load-tool ceiling (wrk against /healthz): $ceiling requests/s"
fi

# --- table 2: the same work ------------------------------------------------------------------
# Only the tiles where the layer has a feature (ruang's occupancy map answers empty tiles
# without the database; martin has no such thing), both sides on geom_3857 with the same
# properties, caches off.
same_rows=()
same_sizes=()
same_peak=0
if [ "$SAME_WORK" != 0 ]; then
  for layer in $LAYERS; do
    case $layer in
      zones) rel=bench_zones_same; msrc=same_zones ;;
      parcels) rel=parcels; msrc=same_parcels ;;
      *) echo "no same-work source for $layer"; continue ;;
    esac
    psql "$url" -qAt -F ' ' > "$work/same-$layer.tiles" <<SQL
CREATE TEMP TABLE t (ord serial, z int, x int, y int);
\copy t (z, x, y) FROM '$work/tiles.txt' WITH (FORMAT text, DELIMITER ' ')
SELECT z, x, y FROM t
 WHERE EXISTS (SELECT 1 FROM $rel s WHERE s.geom_3857 && ST_TileEnvelope(t.z, t.x, t.y))
 ORDER BY ord;
SQL
    url_lists "$work/same-$layer.tiles" "$layer" "$msrc" "$work/same-ruang-$layer.txt" "$work/same-martin-$layer.txt"
    nsame=$(wc -l < "$work/same-$layer.tiles")
    # equal work: one tile from each side, of (about) the same size
    read -r z x y < "$work/same-$layer.tiles"
    size() { curl -s "$1" | wc -c; }
    same_sizes+=("$layer $z/$x/$y: ruang in-process $(size "http://127.0.0.1:8091/tiles/$layer/$z/$x/$y") B, ruang PostGIS $(size "http://127.0.0.1:8093/tiles/$layer/$z/$x/$y") B, martin $(size "http://127.0.0.1:3001/$msrc/$z/$x/$y") B")
    for _ in $(seq 1 "$RUNS"); do
      run_wrk_sampled same_peak "same-mem-$layer" "$work/same-ruang-$layer.txt" 8091
      run_wrk "same-pg-$layer" "$work/same-ruang-$layer.txt" 8093
      run_wrk "same-martin-$layer" "$work/same-martin-$layer.txt" 3001
    done
    medians "same-" "$layer" "s" mem pg martin
    mratio=$(python3 -c "print(f'{$smem_rps/$smartin_rps:.2f}')")
    pratio=$(python3 -c "print(f'{$spg_rps/$smartin_rps:.2f}')")
    same_rows+=("| $layer | $nsame | $smem_rps | $smem_p50 / $smem_p99 | $smem_cpu | $spg_rps | $spg_p50 / $spg_p99 | $spg_cpu | $smartin_rps | $smartin_p50 / $smartin_p99 | $smartin_cpu | **${mratio}×** | ${pratio}× |")
    echo "same work, $layer ($nsame tiles): ruang in-process $smem_rps/s (p99 $smem_p99 ms, $smem_cpu µs CPU), ruang PostGIS $spg_rps/s (p99 $spg_p99 ms, $spg_cpu µs), martin $smartin_rps/s (p99 $smartin_p99 ms, $smartin_cpu µs): ${mratio}× martin (PostGIS path ${pratio}×); non-2xx $smem_non2xx/$spg_non2xx/$smartin_non2xx"
  done
fi
mem_rss=$(( $(ps -o rss= -p "${pids[0]}" 2>/dev/null || echo 0) / 1024 ))
pg_rss=$(( $(ps -o rss= -p "${pids[3]}" 2>/dev/null || echo 0) / 1024 ))

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
zones_n=$(psql "$url" -qAtc "SELECT count(*) FROM zones")
parcels_n=$(psql "$url" -qAtc "SELECT count(*) FROM parcels")
table="
## Vector tiles vs martin — $(date -u +%Y-%m-%d)

Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GB; PostgreSQL 15 + PostGIS 3.3, demo city
at scale $SCALE ($zones_n zones, $parcels_n parcels). Load: wrk, $CONN connections, $THREADS threads,
${DUR} s per run, median of $RUNS runs per server, run alternately; each list cycled in the same
order on both sides. martin 1.14.0. CPU µs/tile: the server's CPU plus every PostgreSQL
backend's, read from /proc before and after each run, divided by the requests (wrk's own CPU
not counted). ruang cuts zones and parcels in-process (\`render = \"memory\"\`; snapshots: $memory)."
if [ "$SAME_WORK" != only ]; then
  table+="

### As martin's users run it

The same $ntiles distinct tiles (every z14-z17 tile over the city's bounding box, shuffled) on
both sides; caches off except in the \"cached\" column (ruang's cache, warmed by one pass).
martin auto-publishes the tables and serves their \`geom\` column (EPSG:4326, transformed per
row, every column); ruang serves its layer files (stored EPSG:3857 copy, the properties the map
needs).

| layer | ruang tiles/s | ruang p50 / p99 ms | ruang CPU µs/tile | martin tiles/s | martin p50 / p99 ms | martin CPU µs/tile | ruang ÷ martin | ruang cached tiles/s | cached CPU µs/tile | cached ÷ uncached |
|---|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")

ruang's peak RSS during its uncached runs: $(( peak_rss / 1024 )) MB. The load tool's ceiling on
this machine (the same wrk against \`/healthz\`, no cache or database): $ceiling requests/s."
fi
if [ "$SAME_WORK" != 0 ]; then
  table+="

### The same work

martin with one table source per layer: \`geometry_column: geom_3857\`, \`srid: 3857\`, the layer
file's properties, extent 4096, buffer 64, clip on, \`auto_publish: false\`; zones from a view of
the active plan's zones (\`bench_zones_same\`). The lists hold only the z14-z17 tiles where the
layer has a feature (from the shuffled list above). Caches off on both sides. ruang once as
shipped (in-process) and once with \`RUANG_TILE_MEMORY_BYTES=0\` (every tile through PostGIS's
\`ST_AsMVT\`, as before the in-process renderer).

| layer | tiles | ruang in-process tiles/s | p50 / p99 ms | CPU µs/tile | ruang PostGIS tiles/s | p50 / p99 ms | CPU µs/tile | martin tiles/s | p50 / p99 ms | CPU µs/tile | in-process ÷ martin | PostGIS path ÷ martin |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${same_rows[@]}")

One tile from each side (about equal sizes: equal work): $(printf '%s; ' "${same_sizes[@]}")
Memory: ruang's RSS after the runs $mem_rss MB in-process (peak during its same-work runs
$(( same_peak / 1024 )) MB) against $pg_rss MB with \`RUANG_TILE_MEMORY_BYTES=0\`."
fi
table+="
Command: \`DUR=$DUR RUNS=$RUNS make bench-tiles\`."
echo "$table"
# RECORD=0 for a trial run that leaves BENCHMARKS.md alone.
[ "${RECORD:-1}" = 0 ] || echo "$table" >> BENCHMARKS.md

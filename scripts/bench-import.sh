#!/usr/bin/env bash
# make bench-import: 200,000 polygons from a GeoPackage into PostGIS, ruang import against
# ogr2ogr -f PostgreSQL with PG_USE_COPY=YES, side by side (alternating), RUNS runs each.
#
# Why two tables. ogr2ogr (GDAL 3.6) cannot COPY into ruang's real `parcels`: its COPY lists
# every column of the layer, the generated `geom_3857` among them, which PostgreSQL refuses, and
# a column with a default the source leaves unset (`updated_at`) makes it fall back to one
# INSERT per feature anyway. So the fair comparison is:
#
#   bare: both tools into the same bare table, in a database of its own: `parcels` with only the
#         columns ruang writes, an id primary key and one GiST index on geom (no generated
#         column, CHECKs, FKs or triggers). The script checks in the server log that ogr2ogr
#         really sent one COPY and no INSERT.
#   real: ruang into the real `parcels` (validity CHECK, generated geom_3857, two GiST indexes,
#         FKs, tile-notify triggers): what an import costs in production. ogr2ogr into it (one
#         INSERT per feature) only with REAL_OGR=1, because it takes minutes.
#
# One transaction each (ruang always; ogr2ogr -gt unlimited). Rows are deleted / the table
# truncated and vacuumed between runs. Wall time and peak RSS from /usr/bin/time -v; ruang's
# RSS is also sampled every 0.25 s while it streams (to show it is flat), and its peak is
# compared with an import of N/10 features. The 1-minute load average before each run is
# printed (the machine may be shared). Prints one section and appends it to BENCHMARKS.md.
#
# OLD=<another ruang binary> adds it to every round (bare and real), for an A/B of two builds.
#
#   N=200000 RUNS=3 [REAL_OGR=1] [OLD=/path/to/ruang] scripts/bench-import.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-200000}"
RUNS="${RUNS:-3}"
SCALE="${SCALE:-0.1}"
REAL_OGR="${REAL_OGR:-0}"
OLD="${OLD:-}"
target="${CARGO_TARGET_DIR:-target}"
work="/tmp/ruang-bench-import-$(id -u)"
pgdir="$work/pg"
mkdir -p "$work"
chmod 755 "$work"
. scripts/bench-setup.sh

# --- the input files -------------------------------------------------------------------------
make_gpkg() { # n file
  local n="$1" file="$2" cols
  [ -s "$file" ] && return
  echo "generating $n polygons (9-vertex rings on a grid over Kupang) into $file"
  cols=$(python3 -c "import math; print(int(math.ceil(math.sqrt($n * 1.25))))")
  ogr2ogr -f GPKG "$file" PG:"$url" -nln polygons -nlt MULTIPOLYGON -sql "
    SELECT 'terdaftar'::text AS kind, 'BENCH-' || i AS parcel_number,
           ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(123.55 + (i % $cols) * 0.0002,
                                                      -10.20 + (i / $cols) * 0.0002), 4326),
                              0.00008, 'quad_segs=2')) AS geom
      FROM generate_series(0, $n - 1) AS i"
}
gpkg="$work/polygons-$N.gpkg"
small=$((N / 10))
gpkg_small="$work/polygons-$small.gpkg"
make_gpkg "$N" "$gpkg"
make_gpkg "$small" "$gpkg_small"

# --- the bare database -----------------------------------------------------------------------
bare_url="${url/\/ruang\?//bare?}"
psql "$url" -qc "DROP DATABASE IF EXISTS bare" >/dev/null
psql "$url" -qc "CREATE DATABASE bare" >/dev/null
DATABASE_URL="$bare_url" RUANG_LOG=warn "$ruang" migrate >/dev/null
psql "$bare_url" -q >/dev/null <<'SQL'
DROP TABLE parcels CASCADE;
CREATE TABLE parcels (
  id bigserial PRIMARY KEY,
  kind text NOT NULL, parcel_number text, land_tenure text, kelurahan_code text,
  permit_number text, kbli_code text, valid_until date, registered_at date,
  geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE INDEX parcels_geom_idx ON parcels USING gist (geom);
SQL

cleanup_real() {
  psql "$url" -qc "DELETE FROM parcels WHERE parcel_number LIKE 'BENCH-%'" >/dev/null
  psql "$url" -qc "VACUUM ANALYZE parcels" >/dev/null
}
cleanup_bare() {
  psql "$bare_url" -qc "TRUNCATE parcels RESTART IDENTITY" >/dev/null
  psql "$bare_url" -qc "VACUUM ANALYZE parcels" >/dev/null
}
count() { psql "$1" -qAtc "SELECT count(*) FROM parcels WHERE parcel_number LIKE 'BENCH-%'"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# measure LOG CMD... -> "seconds peak_kb" (from /usr/bin/time -v); with SAMPLE=1 also writes
# the RSS of the command every 0.25 s to LOG.rss (kB, one per line).
measure() {
  local log="$1"; shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log" &
  local tp=$! child="" 
  : >"$log.rss"
  if [ "${SAMPLE:-0}" = 1 ]; then
    while kill -0 "$tp" 2>/dev/null; do
      [ -z "$child" ] && child=$(pgrep -P "$tp" | head -1 || true)
      [ -n "$child" ] && awk '/VmRSS/ {print $2}' "/proc/$child/status" 2>/dev/null >>"$log.rss" || true
      sleep 0.25
    done
  fi
  wait "$tp" || { cat "$log" "$log.out" >&2; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  python3 -c "
p='$wall'.split(':'); s=float(p[-1])+60*float(p[-2])+(3600*float(p[-3]) if len(p)>2 else 0)
print(f'{s:.2f} $rss')"
}

# ogr2ogr into the bare table, checking in the server log that it used COPY, not INSERT.
ogr_bare() { # log
  local before
  before=$(wc -l <"$pgdir/server.log")
  PGOPTIONS="-c log_statement=all" PG_USE_COPY=YES measure "$1" \
    ogr2ogr -f PostgreSQL PG:"$bare_url" "$gpkg" polygons -nln parcels -append -gt unlimited
  local copies inserts
  copies=$(tail -n +"$((before + 1))" "$pgdir/server.log" | grep -c 'COPY "parcels"' || true)
  inserts=$(tail -n +"$((before + 1))" "$pgdir/server.log" | grep -c 'INSERT INTO "parcels"' || true)
  if [ "$copies" != 1 ] || [ "$inserts" != 0 ]; then
    echo "ogr2ogr sent $copies COPY and $inserts INSERT statements, not one COPY" >&2
    exit 1
  fi
}

cleanup_real
cleanup_bare
declare -A res
# `ruang import` by the build $1 of the file $4 (default: the big one) into the database at $2;
# prints what measure prints.
ruang_import() { # binary db-url log [file]
  DATABASE_URL="$2" RUANG_LOG=warn measure "$3" "$1" import "${4:-$gpkg}" --into parcels
}
# after run $r of res[$1]: every feature is in the database at $2, the figures are printed, and
# $4 empties the table again
checked() { # key db-url label cleanup
  [ "$(count "$2")" = "$N" ] || { echo "$3 run $r loaded $(count "$2")" >&2; exit 1; }
  printf 'run %s %-13s %s (s, KB), load %s\n' "$r" "$3:" "${res[${1}_$r]}" "$(load1)"
  "$4"
}
loads=()
for r in $(seq 1 "$RUNS"); do
  loads+=("$(load1)")
  res[bare_ruang_$r]=$(SAMPLE=1 ruang_import "$ruang" "$bare_url" "$work/bare-ruang.$r")
  checked bare_ruang "$bare_url" "bare ruang" cleanup_bare
  if [ -n "$OLD" ]; then
    res[bare_old_$r]=$(ruang_import "$OLD" "$bare_url" "$work/bare-old.$r")
    checked bare_old "$bare_url" "bare OLD" cleanup_bare
  fi
  res[bare_ogr_$r]=$(ogr_bare "$work/bare-ogr.$r")
  checked bare_ogr "$bare_url" "bare ogr2ogr" cleanup_bare
  res[real_ruang_$r]=$(ruang_import "$ruang" "$url" "$work/real-ruang.$r")
  checked real_ruang "$url" "real ruang" cleanup_real
  if [ -n "$OLD" ]; then
    res[real_old_$r]=$(ruang_import "$OLD" "$url" "$work/real-old.$r")
    checked real_old "$url" "real OLD" cleanup_real
  fi
  if [ "$REAL_OGR" = 1 ]; then
    res[real_ogr_$r]=$(PG_USE_COPY=YES measure "$work/real-ogr.$r" \
      ogr2ogr -f PostgreSQL PG:"$url" "$gpkg" polygons -nln parcels -append -gt unlimited)
    checked real_ogr "$url" "real ogr2ogr" cleanup_real
  fi
done
small_res=$(ruang_import "$ruang" "$bare_url" "$work/bare-ruang-small" "$gpkg_small")
cleanup_bare
loads+=("$(load1)")

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
row() { # key label
  local w=() m=()
  for r in $(seq 1 "$RUNS"); do
    local x="${res[${1}_$r]}"
    w+=("${x% *}"); m+=("${x#* }")
  done
  echo "| $2 | ${w[*]} | **$(median "${w[@]}")** | $(( $(median "${m[@]}") / 1024 )) |"
}
# RSS samples of the bare ruang runs: at 10 %, 50 %, 90 % of each run and the largest, in MB.
rss_profile=$(for r in $(seq 1 "$RUNS"); do
  python3 - "$work/bare-ruang.$r.rss" <<'PY'
import sys
xs = [int(l) for l in open(sys.argv[1]) if l.strip()]
if xs:
    at = lambda f: xs[min(len(xs) - 1, int(f * len(xs)))] // 1024
    print(f"{len(xs)} samples: {at(0.1)} / {at(0.5)} / {at(0.9)} MB at 10/50/90 %, max {max(xs) // 1024} MB")
PY
done | paste -sd ';' | sed 's/;/; /g')
real_ogr_row="| \`PG_USE_COPY=YES ogr2ogr ... -nln parcels -append -gt unlimited\` | not run (one INSERT per feature; REAL_OGR=1 runs it) | | |"
[ "$REAL_OGR" = 1 ] && real_ogr_row=$(row real_ogr "\`PG_USE_COPY=YES ogr2ogr ... -nln parcels -append -gt unlimited\` (INSERT per feature)")
bare_old_row="" real_old_row=""
if [ -n "$OLD" ]; then
  bare_old_row=$'\n'$(row bare_old "\`ruang import\`, the OLD build ($OLD)")
  real_old_row=$'\n'$(row real_old "\`ruang import\`, the OLD build ($OLD)")
fi

table=$(cat <<TABLE

## Import: $N polygons from a GeoPackage, ruang vs ogr2ogr ($(date -u '+%Y-%m-%d %H:%M UTC'), make bench-import)

$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GB; PostgreSQL + PostGIS in the
bench cluster; ruang release build; GDAL $(gdal-config --version 2>/dev/null || ogr2ogr --version | awk '{print $2}' | tr -d ,).
The file: $N 9-vertex polygons on a grid over Kupang with \`kind\` and \`parcel_number\`. One
transaction each; $RUNS runs each, alternating; rows removed and the table vacuumed between
runs. 1-minute load average before each round: ${loads[*]} (other builds share the machine).

**Bare table, both with COPY** (database \`bare\`: \`parcels\` with the columns ruang writes, an
id primary key and one GiST index; ogr2ogr's single \`COPY\` checked in the server log):

| tool | wall time per run (s) | median wall (s) | median peak RSS (MB) |
|---|---|---|---|
$(row bare_ruang "\`ruang import polygons.gpkg --into parcels\`")$bare_old_row
$(row bare_ogr "\`PG_USE_COPY=YES ogr2ogr -f PostgreSQL PG:... polygons.gpkg polygons -nln parcels -append -gt unlimited\`")

**The real \`parcels\`** (validity CHECK, generated \`geom_3857\`, two GiST indexes, FKs, notify
triggers; demo city at scale $SCALE beside it). GDAL 3.6 cannot COPY here (the generated column),
so ogr2ogr falls back to one INSERT per feature:

| tool | wall time per run (s) | median wall (s) | median peak RSS (MB) |
|---|---|---|---|
$(row real_ruang "\`ruang import polygons.gpkg --into parcels\`")$real_old_row
$real_ogr_row

ruang's memory while streaming (RSS sampled every 0.25 s, bare runs): $rss_profile. Peak RSS
for $small features: $(( ${small_res#* } / 1024 )) MB ($(echo "${small_res% *}") s), against the $N-feature peak above.
Command: \`${OLD:+OLD=$OLD }N=$N RUNS=$RUNS make bench-import\`.
TABLE
)
echo "$table"
echo "$table" >> BENCHMARKS.md

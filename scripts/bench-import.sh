#!/usr/bin/env bash
# make bench-import: 200,000 polygons from a GeoPackage into the parcels table, ruang import
# against ogr2ogr -f PostgreSQL (PG_USE_COPY=YES, one transaction) into the same table, side by
# side, RUNS runs each (alternating), wall time and peak RSS from /usr/bin/time -v. The
# imported rows are deleted (and the table vacuumed) after every run, so each run starts alike.
# Prints one table and appends it to BENCHMARKS.md.
#
#   N=200000 RUNS=3 scripts/bench-import.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-200000}"
RUNS="${RUNS:-3}"
SCALE="${SCALE:-0.1}"
target="${CARGO_TARGET_DIR:-target}"
work="/tmp/ruang-bench-import-$(id -u)"
pgdir="$work/pg"
mkdir -p "$work"
chmod 755 "$work"
. scripts/bench-setup.sh

gpkg="$work/polygons-$N.gpkg"
if [ ! -s "$gpkg" ]; then
  echo "generating $N polygons (9-vertex rings on a grid over Kupang) into $gpkg"
  cols=$(python3 -c "import math; print(int(math.ceil(math.sqrt($N * 1.25))))")
  ogr2ogr -f GPKG "$gpkg" PG:"$url" -nln polygons -nlt MULTIPOLYGON -sql "
    SELECT 'terdaftar'::text AS kind, 'BENCH-' || i AS parcel_number,
           ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(123.55 + (i % $cols) * 0.0002,
                                                      -10.20 + (i / $cols) * 0.0002), 4326),
                              0.00008, 'quad_segs=2')) AS geom
      FROM generate_series(0, $N - 1) AS i"
fi

cleanup_rows() {
  psql "$url" -qc "DELETE FROM parcels WHERE parcel_number LIKE 'BENCH-%'" >/dev/null
  psql "$url" -qc "VACUUM ANALYZE parcels" >/dev/null
}
cleanup_rows

# /usr/bin/time -v output -> "seconds kilobytes"
measure() {
  local log="$1"; shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log" || { cat "$log" "$log.out" >&2; exit 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  python3 -c "
p='$wall'.split(':'); s=float(p[-1])+60*float(p[-2])+(3600*float(p[-3]) if len(p)>2 else 0)
print(f'{s:.2f} $rss')"
}

count() { psql "$url" -qAtc "SELECT count(*) FROM parcels WHERE parcel_number LIKE 'BENCH-%'"; }

ruang_runs=(); ogr_runs=()
for r in $(seq 1 "$RUNS"); do
  res=$(DATABASE_URL="$url" RUANG_LOG=warn measure "$work/ruang.$r" "$ruang" import "$gpkg" --into parcels)
  [ "$(count)" = "$N" ] || { echo "ruang run $r loaded $(count) rows, not $N" >&2; exit 1; }
  ruang_runs+=("$res"); echo "run $r ruang:   $res (s, KB)"
  cleanup_rows
  res=$(PG_USE_COPY=YES measure "$work/ogr.$r" ogr2ogr -f PostgreSQL PG:"$url" "$gpkg" polygons \
        -nln parcels -append -gt unlimited)
  [ "$(count)" = "$N" ] || { echo "ogr2ogr run $r loaded $(count) rows, not $N" >&2; exit 1; }
  ogr_runs+=("$res"); echo "run $r ogr2ogr: $res (s, KB)"
  cleanup_rows
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rw=(); rm=(); ow=(); om=()
for x in "${ruang_runs[@]}"; do rw+=("${x% *}"); rm+=("${x#* }"); done
for x in "${ogr_runs[@]}"; do ow+=("${x% *}"); om+=("${x#* }"); done
table=$(cat <<TABLE

## Import: $N polygons from a GeoPackage into parcels ($(date -u +%Y-%m-%d), make bench-import)

$(nproc) cores; the same PostGIS cluster, table (\`parcels\`: validity CHECK, generated \`geom_3857\`,
two GiST indexes, notify triggers) and file for both; one transaction each; $RUNS runs each,
alternating; the rows deleted and the table vacuumed between runs.

| tool | wall time per run (s) | median wall (s) | median peak RSS (MB) |
|---|---|---|---|
| \`ruang import polygons.gpkg --into parcels\` | ${rw[*]} | $(median "${rw[@]}") | $(( $(median "${rm[@]}") / 1024 )) |
| \`PG_USE_COPY=YES ogr2ogr -f PostgreSQL ... -append -gt unlimited\` | ${ow[*]} | $(median "${ow[@]}") | $(( $(median "${om[@]}") / 1024 )) |
TABLE
)
echo "$table"
echo "$table" >> BENCHMARKS.md

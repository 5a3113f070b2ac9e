# Sourced by the bench scripts: builds the release binary, starts the bench cluster in
# $pgdir, makes sure it holds the demo city at $SCALE (migrated, analysed), and stops
# everything listed in $pids plus the cluster on exit. Sets $ruang and $url, and defines
# `median` (of the numbers on stdin) and `field NAME` (NAME=value out of wrk's RESULT lines).
# Needs: $target, $pgdir, $SCALE.

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin ruang
ruang="$target/release/ruang"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  RUANG_LOG=warn "$ruang" db stop --data-dir "$pgdir" >/dev/null || true
}
trap cleanup EXIT

RUANG_LOG=warn "$ruang" db start --data-dir "$pgdir" >/dev/null
url="$(RUANG_LOG=warn "$ruang" db url --data-dir "$pgdir")"
DATABASE_URL="$url" RUANG_LOG=warn "$ruang" migrate >/dev/null
want=$(python3 -c "print(int(60000 * float('$SCALE')))")
have=$(psql "$url" -qAtc "SELECT count(*) FROM parcels" 2>/dev/null || echo 0)
if [ "$have" != "$want" ]; then
  echo "loading the demo city at scale $SCALE"
  DATABASE_URL="$url" RUANG_LOG=warn "$ruang" demo load --scale "$SCALE"
fi
psql "$url" -qc "VACUUM ANALYZE" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

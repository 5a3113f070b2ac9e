#!/usr/bin/env bash
# make bench-impact: the impact of a draft plan on an issued permit for every registered parcel
# of the demo city (60,000 at scale 1; 1 in 100 is an open application instead), release build.
#   1. bench/impact-permits.sql issues the permits (once per bench cluster);
#   2. a draft is made from the active plan: houses (68111) limited (T2) in R-4, food stalls
#      (56102) not allowed in K-1, R-2's KLB halved, and 50 R-3 zones rezoned to K-2;
#   3. `ruang rules impact` runs RUNS times screened and RUNS times with --full (every permit
#      re-checked); the median wall time of each and the in-process check time are printed.
#
#   RUNS=3 SCALE=1 scripts/bench-impact.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
SCALE="${SCALE:-1}"
target="${CARGO_TARGET_DIR:-target}"
work="/tmp/ruang-bench-impact-$(id -u)"
pgdir="$work/pg"
mkdir -p "$work"
chmod 755 "$work"

. scripts/bench-setup.sh
# the cluster is stopped on exit by `ruang db stop`, which must not see DATABASE_URL
r() { DATABASE_URL="$url" RUANG_LOG=warn "$ruang" "$@"; }

psql "$url" -qAt -c "DELETE FROM zoning_plans WHERE status = 'draft'" >/dev/null
if [ "$(psql "$url" -qAtc "SELECT count(*) FROM applications WHERE reference LIKE 'BENCH-%'")" = 0 ]; then
  echo "issuing a permit on every parcel"
  psql "$url" -q -f bench/impact-permits.sql
  psql "$url" -qc "VACUUM ANALYZE applications" >/dev/null
fi

r rules export --plan 1 --format csv --table itbx -o "$work/itbx.csv" >/dev/null
r rules export --plan 1 --format csv --table intensity -o "$work/intensity.csv" >/dev/null
python3 - "$work" <<'PY'
import csv, sys
w = sys.argv[1]
rows = list(csv.reader(open(f"{w}/itbx.csv")))
h = rows[0]
for r in rows[1:]:
    if r[0] == "68111": r[h.index("R-4")] = "T2"
    if r[0] == "56102": r[h.index("K-1")] = "X"
csv.writer(open(f"{w}/itbx.csv", "w"), lineterminator="\n").writerows(rows)
rows = list(csv.reader(open(f"{w}/intensity.csv")))
h = rows[0]
for r in rows[1:]:
    if r[0] == "R-2" and r[1] == "": r[h.index("klb")] = str(float(r[h.index("klb")]) / 2)
csv.writer(open(f"{w}/intensity.csv", "w"), lineterminator="\n").writerows(rows)
PY
r rules import "$work/itbx.csv" --plan "RDTR bench" >/dev/null
r rules import "$work/intensity.csv" --plan "RDTR bench" >/dev/null
psql "$url" -qAt -c "UPDATE zones SET subzone_code = 'K-2', zone_code = 'K'
                      WHERE id IN (SELECT id FROM zones WHERE plan_id = (SELECT id FROM zoning_plans WHERE name = 'RDTR bench')
                                     AND subzone_code = 'R-3' ORDER BY id LIMIT 50)" >/dev/null
r rules diff 1 "RDTR bench" | python3 -c "import json,sys; d=json.load(sys.stdin); print('draft:', d['summary'])"

for mode in screened full; do
  flag=""; [ "$mode" = full ] && flag="--full"
  : > "$work/$mode.txt"
  for i in $(seq "$RUNS"); do
    t0=$(date +%s.%N)
    r rules impact --plan "RDTR bench" $flag --json > "$work/impact-$mode.json"
    t1=$(date +%s.%N)
    python3 - "$work/impact-$mode.json" "$t0" "$t1" >> "$work/$mode.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.2f} {d['check_ms'] / 1000:.2f} {d['subjects']} {d['rechecked']} {len(d['changed'])}")
PY
  done
  wall=$(cut -d' ' -f1 "$work/$mode.txt" | median)
  check=$(cut -d' ' -f2 "$work/$mode.txt" | median)
  read -r _ _ subjects rechecked changed < <(head -1 "$work/$mode.txt")
  echo "BENCH impact $mode: $subjects permits+applications, $rechecked re-checked, $changed change; median of $RUNS: ${wall} s in all (CLI: connect, load both rule sets, read subjects), ${check} s checking"
done

#!/usr/bin/env bash
# make bench-monitor: the monitoring read endpoints on the demo city at scale 10.
#   wrk on each endpoint (2 threads, $CONN connections, $DUR s), $RUNS runs each, taking turns,
#   once answered from the response cache (the normal case: the data changes only on imports)
#   and once with `Cache-Control: no-cache` (every request computed from PostgreSQL);
#   prints requests/s and p50 / p95 / p99 latency per run and the median over the runs.
#
#   DUR=10 RUNS=3 CONN=16 scripts/bench-monitor.sh
#
# Uses its own cluster folder (/tmp/ruang-bench-monitor-UID/pg, so the scale-1 bench cluster of
# bench-tiles / bench-check is left alone) and loads the demo city there when it is missing
# (about 150 s at scale 10). Record the medians in BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR="${DUR:-10}"
RUNS="${RUNS:-3}"
CONN="${CONN:-16}"
THREADS="${THREADS:-2}"
SCALE="${SCALE:-10}"
PORT="${PORT:-8095}"
target="${CARGO_TARGET_DIR:-target}"
work="/tmp/ruang-bench-monitor-$(id -u)"
pgdir="$work/pg"
mkdir -p "$work"
chmod 755 "$work"

. scripts/bench-setup.sh

cat > "$work/monitor.toml" <<EOT
[log]
filter = "warn"
EOT
cat > "$work/p95.lua" <<'EOT'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.2f %.2f %.2f %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
EOT
DATABASE_URL="$url" RUANG_CONFIG="$work/monitor.toml" "$ruang" serve --bind "127.0.0.1:$PORT" --no-demo &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

kel=$(psql "$url" -qAtc "SELECT code FROM admin_areas WHERE level = 'kelurahan' ORDER BY code LIMIT 1")
endpoints=(
  "/api/stunting"
  "/api/stunting?by=puskesmas"
  "/api/stunting/trend?unit=$kel"
  "/api/prices"
  "/api/prices/alerts"
  "/api/prices/index"
)
echo "rows: $(psql "$url" -qAtc "SELECT (SELECT count(*) FROM stunting_observations) || ' stunting observations, ' || (SELECT count(*) FROM price_observations) || ' price observations, ' || (SELECT count(*) FROM parcels) || ' parcels'")"
for e in "${endpoints[@]}"; do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT$e"
done
results="$work/monitor-results.txt"
: > "$results"
for run in $(seq "$RUNS"); do
  for mode in cached uncached; do
    hdr=()
    [ "$mode" = uncached ] && hdr=(-H "Cache-Control: no-cache")
    for e in "${endpoints[@]}"; do
      line=$(wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" "${hdr[@]}" -s "$work/p95.lua" "http://127.0.0.1:$PORT$e" | grep '^RESULT')
      echo "run $run $mode $e $line" | tee -a "$results"
    done
  done
done
echo "== medians over $RUNS runs (wrk -t$THREADS -c$CONN -d${DUR}s): endpoint | cache | req/s | p50 ms | p95 ms | p99 ms | errors"
python3 - "$results" <<'EOT'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    p = line.split()
    rows.setdefault((p[3], p[2]), []).append([float(x) for x in p[5:10]])
for (e, mode), rs in rows.items():
    med = [statistics.median(c) for c in zip(*rs)]
    print(f"| `{e}` | {mode} | {med[0]:.0f} | {med[1]:.2f} | {med[2]:.2f} | {med[3]:.2f} | {int(max(r[4] for r in rs))} |")
EOT

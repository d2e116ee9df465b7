#!/usr/bin/env bash
# Load benchmark: the 60,000 Fashion-MNIST training vectors into a collection, three ways, each in one
# statement (one transaction) on a fresh cluster under build/bench-load:
#   per-row   SELECT gv_upsert(...) FROM fashion_train
#   batch     SELECT gv_upsert_batch(...) with 1,000 rows per call (60 calls in one statement)
# For each: the statement's time (the data is applied and durable when it returns) and the time until the
# HNSW graph holds every vector (status green). The baseline in the same run is a plain INSERT ... SELECT
# of the same rows into a Postgres table, so the ratios hold across machines.
#   bash bench/load.sh [--points N] [--ef-construct E] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/cluster.sh

points=60000
efc=64
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --points) points=$2; shift 2 ;;
    --ef-construct) efc=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

bench_cluster_start bench-load
sql() { bench_sql "$@"; }

sql -c "CREATE EXTENSION govector" -c "CREATE TABLE fashion_train (id int PRIMARY KEY, label int, image real[])"
sql -c "\\copy fashion_train FROM PROGRAM '$PWD/build/fmnist_export train $points'"
sql -c "VACUUM ANALYZE fashion_train"

now_ms() { date +%s%3N; }
wait_green() {  # wait_green COLLECTION: ms until every vector is in the graph
  local t0
  t0=$(now_ms)
  until [ "$(sql -c "SELECT gv_collection_info('$1')->>'status'")" = green ]; do sleep 0.05; done
  echo $(($(now_ms) - t0))
}

t0=$(now_ms)
sql -c "CREATE TABLE copy_baseline AS SELECT * FROM fashion_train"
baseline_ms=$(($(now_ms) - t0))

sql -c "SELECT gv_create_collection('per_row', 784, 'euclid', ef_construct => $efc)"
t0=$(now_ms)
sql -c "SELECT count(gv_upsert('per_row', id::text, image, jsonb_build_object('label', label))) FROM fashion_train" >/dev/null
row_ms=$(($(now_ms) - t0))
row_index_ms=$(wait_green per_row)

sql -c "SELECT gv_create_collection('batch', 784, 'euclid', ef_construct => $efc)"
t0=$(now_ms)
sql -c "SELECT sum(gv_upsert_batch('batch', ids, vectors, payloads)) FROM (
          SELECT array_agg(id::text ORDER BY id) AS ids,
                 array_agg(image ORDER BY id) AS vectors,
                 array_agg(jsonb_build_object('label', label) ORDER BY id) AS payloads
          FROM fashion_train GROUP BY (id - 1) / 1000) b" >/dev/null
batch_ms=$(($(now_ms) - t0))
batch_index_ms=$(wait_green batch)

for c in per_row batch; do
  n=$(sql -c "SELECT gv_count('$c')")
  [ "$n" = "$points" ] || { echo "collection $c has $n points, expected $points" >&2; exit 1; }
done

report=$(cat <<EOF
{"dataset": "fashion-mnist train", "points": $points, "dimension": 784, "distance": "euclid",
 "m": 16, "ef_construct": $efc, "index_threads": 2,
 "baseline_insert_select_ms": $baseline_ms,
 "per_row": {"statement_ms": $row_ms, "then_indexed_ms": $row_index_ms, "total_ms": $((row_ms + row_index_ms))},
 "batch_1000": {"statement_ms": $batch_ms, "then_indexed_ms": $batch_index_ms, "total_ms": $((batch_ms + batch_index_ms))}}
EOF
)
echo "$report"
[ -n "$out" ] && echo "$report" >"$out"
printf '\n%-34s %10s %16s %10s %12s\n' "load ($points x 784)" "statement" "then indexed" "total" "vs INSERT"
printf '%-34s %8d ms %14s %10s %12s\n' "INSERT ... SELECT (baseline)" "$baseline_ms" "-" "-" "1.0x"
printf '%-34s %8d ms %11d ms %7d ms %11.1fx\n' "SELECT gv_upsert(...) FROM t" "$row_ms" "$row_index_ms" $((row_ms + row_index_ms)) "$(echo "$row_ms $baseline_ms" | awk '{print $1/$2}')"
printf '%-34s %8d ms %11d ms %7d ms %11.1fx\n' "gv_upsert_batch, 1,000 per call" "$batch_ms" "$batch_index_ms" $((batch_ms + batch_index_ms)) "$(echo "$batch_ms $baseline_ms" | awk '{print $1/$2}')"

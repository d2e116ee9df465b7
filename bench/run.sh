#!/usr/bin/env bash
# Runs the SQL benchmark (bench/govector_bench.cc) on a fresh cluster.
#   bash bench/run.sh full    every figure in the README: 60,000 x 784, 1,000 queries, ef 10..320, 100k scale
#                             step; results in bench/results/<date>/ and bench/results/latest/
#   bash bench/run.sh quick   10,000 points, 200 queries, two ef values; fails if recall < 0.95 (CI)
#   bash bench/run.sh scale   the 1,000,000-point synthetic step alone
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/cluster.sh
mode=${1:-full}
bin=build/bench/govector_bench
[ -x "$bin" ] || { echo "build it first: make $bin" >&2; exit 2; }

bench_cluster_start bench-$mode
case $mode in
  quick)
    out=build/bench-quick
    mkdir -p "$out"
    "$bin" --conninfo "$BC_CONNINFO" --http-url "$BC_HTTP_URL" --points 10000 --queries 200 --ef 20,80 --quick --passes 1 --check-recall 0.95 \
      --out "$out/result.json" --report-dir "$out"
    ;;
  full)
    out=bench/results/$(date -u +%Y-%m-%d)
    mkdir -p "$out"
    "$bin" --conninfo "$BC_CONNINFO" --http-url "$BC_HTTP_URL" --scale 100000 --out "$out/result.json" --report-dir "$out"
    {
      echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');" \
        "$(uname -sr); measured $(date -u '+%Y-%m-%d %H:%M UTC')."
      echo
      cat "$out/results.md"
    } >"$out/README.md"
    rm -rf bench/results/latest
    cp -r "$out" bench/results/latest
    sed -i "s#$out#bench/results/latest#g" bench/results/latest/plot.gp
    echo "results in $out and bench/results/latest"
    ;;
  scale)
    out=bench/results/scale-$(date -u +%Y-%m-%d)
    mkdir -p "$out"
    "$bin" --conninfo "$BC_CONNINFO" --scale-only --scale 1000000 --out "$out/result.json" --report-dir "$out"
    ;;
  *) echo "unknown mode $mode (full, quick or scale)" >&2; exit 2 ;;
esac

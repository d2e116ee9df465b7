#!/usr/bin/env bash
# The SQL suite: pg_regress runs sql/*.sql (except the install script) on a temporary cluster it creates
# under build/regress, and compares the output with expected/*.out. Needs `make install` first.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pg_env.sh

out=${GV_REGRESS_DIR:-build/regress}
rm -rf "$out"
pg_dir "$out"
tests=$(ls sql/*.sql | grep -v '/govector--' | xargs -n1 basename | sed 's/\.sql$//' | sort)
port=$(free_port 52000)
status=0
as_pg "$PG_REGRESS" --temp-instance="$out/tmp_check" --bindir="$PG_BINDIR" --inputdir=. --outputdir="$out" \
  --port="$port" --temp-config=test/regress.conf --dbname=gv_regress $tests || status=$?
if [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
  echo "---- regression.diffs ----"
  cat "$out/regression.diffs"
  echo "---- engine log lines ----"
  grep -h "govector" "$out"/log/*.log 2>/dev/null | tail -50 || true
fi
exit $status

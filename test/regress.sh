#!/usr/bin/env bash
# Runs pg_regress for `make installcheck` (the Makefile's REGRESS and REGRESS_OPTS say what and how):
#   bash test/regress.sh OUTDIR PG_REGRESS [OPTION...] TEST...
# OUTDIR is pg_regress's --outputdir (results/, regression.diffs, the temporary cluster and its log/): it is
# made afresh and given to the cluster's OS user, who runs pg_regress. When a test fails, the diffs and the
# engine's log lines are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pg_env.sh

out=$1
shift
rm -rf "$out"
pg_dir "$out"
status=0
as_pg "$@" || status=$?
if [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
  echo "---- regression.diffs ----"
  cat "$out/regression.diffs"
  echo "---- engine log lines ----"
  grep -h "govector" "$out"/log/*.log 2>/dev/null | tail -50 || true
fi
exit $status

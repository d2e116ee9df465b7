#!/usr/bin/env bash
# The HTTP suite: the Qdrant-compatible API checked with the real Qdrant JavaScript client and LangChain.
#   bash test/http/run.sh [test files...]     (needs `make install` and `npm ci` in test/http first)
#
# It starts a Postgres cluster of its own (under build/http/cluster) whose engine serves HTTP with an API key,
# and runs `node --test` against it, so every test talks to the same engine the SQL functions use. The test
# files that need Postgres (SQL <-> HTTP, settings) get psql through GV_PSQL; the standalone-mode test starts
# its own govectord.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/system/lib.sh
SYS_ROOT=$PWD/build/http
trap cluster_cleanup EXIT

[ -d test/http/node_modules ] || { echo "install the client first: (cd test/http && npm ci)" >&2; exit 2; }

http_port=$(free_port 54000)
api_key="gv-test-$RANDOM$RANDOM"
cluster_init cluster "shared_preload_libraries = 'govector'" "govector.http_port = $http_port" \
  "govector.http_api_key = '$api_key'" "govector.http_database = 'postgres'" "log_min_messages = info"
cluster_start
q -c "CREATE EXTENSION govector" >/dev/null
if ! wait_for 15 bash -c "exec 3<>/dev/tcp/127.0.0.1/$http_port"; then
  echo "the engine does not serve HTTP on port $http_port" >&2
  grep govector "$CL_LOG" | tail -20 >&2
  exit 1
fi

export GV_HTTP_URL="http://127.0.0.1:$http_port"
export GV_API_KEY="$api_key"
export GV_GOVECTORD="$PWD/build/govectord"
# psql as the cluster's OS user, as a JSON array (the test spawns it without a shell).
psql_cmd=("$PG_BINDIR/psql" -h "$CL_DIR" -p "$CL_PORT" -U postgres -d postgres -X -q -t -A -v ON_ERROR_STOP=1)
if [ "$(id -u)" = 0 ]; then psql_cmd=(runuser -u postgres -- "${psql_cmd[@]}"); fi
GV_PSQL=$(printf '%s\n' "${psql_cmd[@]}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(s.trimEnd().split("\n"))))')
export GV_PSQL
export GV_PG_DATA="$CL_DIR/data" GV_PG_LOG="$CL_LOG"

status=0
(cd test/http && node --test --test-concurrency=1 "$@") || status=$?
if [ $status -ne 0 ]; then
  echo "---- engine log lines ----"
  grep govector "$CL_LOG" | grep -v "DEBUG" | tail -40 || true
fi
cluster_stop fast
exit $status

#!/usr/bin/env bash
# Whole-system tests: real Postgres clusters with govector installed, started and stopped by the test.
#   bash test/system/run.sh [scenario...]     (default: all; needs `make install` first)
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/system/lib.sh
trap cluster_cleanup EXIT

DIM=8

vec() {  # a deterministic vector literal for an integer
  local i=$1
  echo "{$((i % 7)),$((i % 11)),$((i % 13)),$((i % 17)),$((i % 19)),$((i % 23)),$((i % 29)),1}"
}

# --- The engine starts with the server when preloaded, and everything survives a restart. -------------
scenario_restart() {
  cluster_init restart
  cluster_start
  if wait_for 10 test -S "$CL_DIR/data/govector/pgsql_tmp.govectord.sock"; then
    pass "preloaded: the engine is up before any SQL call"
  else
    fail "preloaded: no engine socket after server start"
  fi
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('r', $DIM, 'euclid')" >/dev/null
  q -c "SELECT gv_create_collection('r_flat', 3, 'dot', 'flat')" >/dev/null
  q -c "SELECT gv_upsert('r', i::text, ARRAY[i % 7, i % 11, i % 13, i % 17, i % 19, i % 23, i % 29, 1]::real[],
                         jsonb_build_object('i', i)) FROM generate_series(1, 3000) i" >/dev/null
  q -c "SELECT gv_upsert('r_flat', 'x', '{1,2,3}')" >/dev/null
  local before after
  before=$(q -c "SELECT string_agg(id, ',') FROM gv_search('r', '$(vec 42)', 5)")
  cluster_stop fast
  if grep -q "govector: LOG: shut down cleanly" "$CL_LOG"; then pass "fast shutdown stops the engine cleanly"; else fail "no clean engine shutdown in the log"; fi
  cluster_start
  after=$(q -c "SELECT string_agg(id, ',') FROM gv_search('r', '$(vec 42)', 5)")
  local n
  n=$(q -c "SELECT gv_count('r')")
  [ "$n" = 3000 ] && pass "restart: 3000 points still there" || fail "restart: count is $n, expected 3000"
  [ -n "$before" ] && [ "$before" = "$after" ] && pass "restart: same search results" ||
    fail "restart: results changed or empty ('$before' vs '$after')"
  [ "$(q -c "SELECT count(*) FROM gv_collections()")" = 2 ] && pass "restart: both collections" || fail "restart: collections lost"
  [ "$(q -c "SELECT payload->>'i' FROM gv_get('r', ARRAY['1234'])")" = 1234 ] && pass "restart: payloads intact" || fail "restart: payload lost"
  if grep govector "$CL_LOG" | grep -qi "error"; then
    fail "engine errors in the log: $(grep govector "$CL_LOG" | grep -i -m3 error)"
  else
    pass "no engine error in the log"
  fi
  cluster_stop smart
  [ "$(grep -c "shut down cleanly" "$CL_LOG")" = 2 ] && pass "smart shutdown stops the engine cleanly" || fail "smart shutdown: engine not stopped cleanly"
}

# --- kill -9 of the engine during a stream of writes: every committed write survives the restart. --------
# Writes go through a single psql session fed by a FIFO, one transaction per point; psql echoes "C <id>"
# only after COMMIT has succeeded (ON_ERROR_STOP is off, so failed transactions are simply skipped).
write_stream() {  # write_stream FIRST LAST OUTFILE
  local first=$1 last=$2 out=$3
  for i in $(seq "$first" "$last"); do
    echo "BEGIN;"
    echo "SELECT gv_upsert('k', '$i', '$(vec "$i")', '{\"i\": $i}') > 0 AS ok \\gset"
    echo "COMMIT;"
    echo "\\if :{?ok} \\echo C $i \\endif"
    echo "\\unset ok"
  done | as_pg "$PG_BINDIR/psql" -h "$CL_DIR" -p "$CL_PORT" -U postgres -d postgres -X -q -t -A 2>>"$out.err" \
    | grep '^C ' | cut -d' ' -f2 >"$out"
}

check_committed() {  # check_committed FILE WHAT
  local file=$1 what=$2 total missing
  total=$(wc -l <"$file")
  missing=$(q -c "SELECT count(*) FROM unnest(string_to_array('$(paste -sd, "$file")', ',')) AS c(id)
                   WHERE NOT EXISTS (SELECT 1 FROM gv_get('k', ARRAY[c.id]))")
  if [ "$total" -gt 0 ] && [ "$missing" = 0 ]; then
    pass "$what: all $total committed writes are there"
  else
    fail "$what: $missing of $total committed writes are missing"
  fi
}

engine_replaced() {  # a different engine owns the data directory and listens
  local now
  now=$(engine_pid)
  [ -n "$now" ] && [ "$now" != "$1" ] &&
    [ "$(PGOPTIONS='-c govector.engine_timeout=200' q -c "SELECT gv_engine_status()->>'pid'" 2>/dev/null)" = "$now" ]
}

scenario_kill_engine() {
  cluster_init kill
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('k', $DIM, 'euclid')" >/dev/null
  write_stream 1 12000 "$CL_DIR/committed" &
  local writer=$! kills=0 old new t0
  sleep 1
  while pid_alive $writer && [ $kills -lt 3 ]; do
    old=$(engine_pid)
    [ -n "$old" ] || { sleep 0.1; continue; }
    t0=$(date +%s%N)
    kill -9 "$old"
    kills=$((kills + 1))
    # The supervisor starts a new engine within two seconds.
    if wait_for 2 engine_replaced "$old"; then
      new=$(engine_pid)
      pass "kill -9 #$kills: engine $old replaced by $new after $((($(date +%s%N) - t0) / 1000000)) ms"
    else
      fail "kill -9 #$kills: no new engine within 2 s"
    fi
    sleep 1
  done
  wait $writer
  [ $kills -ge 2 ] || fail "the writer finished before the engine could be killed twice"
  check_committed "$CL_DIR/committed" "kill -9 during writes"
  q -c "SELECT 1 FROM gv_engine_status()" >/dev/null && pass "calls succeed after the restarts" || fail "calls fail after the restarts"
  grep -q "govector: the engine (pid [0-9][0-9]*) was terminated by signal 9$" "$CL_LOG" && pass "the log says the engine was killed" || fail "no log line about the killed engine"
  cluster_stop fast
}

engine_exits() {  # engine_exits PID WHAT: the engine PID (read while it ran) exits by itself within 10 s
  local epid=$1 what=$2
  if [ -z "$epid" ]; then
    fail "$what: no engine was running"
  elif wait_for 10 pid_gone "$epid"; then
    pass "$what: the engine exited by itself"
  else
    fail "$what: engine $epid still running"
    kill -9 "$epid"
  fi
}

# --- Immediate shutdown in the middle of writes: committed writes survive; the engine does not linger. -----
scenario_immediate() {
  cluster_init immediate
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('k', $DIM, 'euclid')" >/dev/null
  write_stream 1 100000 "$CL_DIR/committed" &
  local writer=$! epid
  sleep 3
  epid=$(engine_pid)
  cluster_stop immediate
  wait $writer 2>/dev/null
  engine_exits "$epid" "immediate stop"
  cluster_start
  check_committed "$CL_DIR/committed" "immediate shutdown during writes"
  cluster_stop fast
}

# --- The postmaster dies: the engine exits by itself. --------------------------------------------------
scenario_postmaster_death() {
  cluster_init pmdeath
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_engine_status()" >/dev/null
  local epid pm
  epid=$(engine_pid)
  pm=$(postmaster_pid)
  kill -9 "$pm"
  engine_exits "$epid" "postmaster killed"
  # Let the orphaned backends notice, then remove the stale pid file so cleanup does not try to stop it.
  sleep 1
  rm -f "$CL_DIR/data/postmaster.pid"
}

# --- A waiting backend honours statement_timeout and query cancel. -------------------------------------
scenario_cancel() {
  cluster_init cancel
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('c', 2)" >/dev/null
  local epid out t0 t1 pid
  epid=$(engine_pid)
  kill -STOP "$epid"  # the engine stops answering
  t0=$(date +%s%N)
  out=$(q -c "SET statement_timeout = '500ms'" -c "SELECT gv_count('c')" 2>&1)
  t1=$(date +%s%N)
  if echo "$out" | grep -q "canceling statement due to statement timeout" && [ $(((t1 - t0) / 1000000)) -lt 5000 ]; then
    pass "statement_timeout interrupts a call waiting for the engine ($(((t1 - t0) / 1000000)) ms)"
  else
    fail "statement_timeout: $out"
  fi
  q -c "SELECT gv_count('c')" >"$CL_DIR/cancel.out" 2>&1 &
  local client=$!
  sleep 0.5
  q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT gv_count%' AND pid <> pg_backend_pid()" >/dev/null
  wait $client
  grep -q "canceling statement due to user request" "$CL_DIR/cancel.out" && pass "query cancel interrupts a waiting call" || fail "cancel: $(cat "$CL_DIR/cancel.out")"
  kill -CONT "$epid"
  [ "$(q -c "SELECT gv_count('c')")" = 0 ] && pass "the next call after an interrupted one works" || fail "call after cancel failed"
  cluster_stop fast
}

# --- 16 clients mix searches and upserts for a minute: no error, no lost write. ------------------------
scenario_concurrency() {
  cluster_init concurrency
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('cc', $DIM, 'cosine')" \
    -c "CREATE TABLE written (id bigint PRIMARY KEY)" >/dev/null
  q -c "SELECT gv_upsert('cc', i::text, ARRAY[i % 7, i % 11, i % 13, i % 17, i % 19, i % 23, i % 29, 1]::real[])
        FROM generate_series(1, 2000) i" >/dev/null
  cat >"$CL_DIR/search.sql" <<'EOF'
\set a random(0, 100)
\set b random(0, 100)
SELECT count(*) FROM gv_search('cc', ARRAY[:a, :b, 1, 2, 3, 4, 5, 6]::real[], 10, '{"must_not": [{"has_id": [1]}]}');
EOF
  cat >"$CL_DIR/upsert.sql" <<'EOF'
\set id random(100000, 100000000)
BEGIN;
INSERT INTO written VALUES (:id) ON CONFLICT DO NOTHING;
SELECT gv_upsert('cc', ':id', ARRAY[:id % 7, :id % 11, :id % 13, 1, 2, 3, 4, 5]::real[], jsonb_build_object('c', :client_id));
COMMIT;
EOF
  as_pg chmod 644 "$CL_DIR"/*.sql 2>/dev/null || true
  local secs=${GV_CONCURRENCY_SECONDS:-60}
  pgbench_run -n -c 16 -j 2 -T "$secs" -f "$CL_DIR/search.sql@4" -f "$CL_DIR/upsert.sql@1" postgres >"$CL_DIR/pgbench.out" 2>&1
  local rc=$?
  local failed tps
  failed=$(grep -o "number of failed transactions: [0-9]*" "$CL_DIR/pgbench.out" | head -1 | grep -o "[0-9]*$")
  tps=$(grep -o "tps = [0-9.]*" "$CL_DIR/pgbench.out" | head -1)
  if [ $rc -eq 0 ] && [ "$failed" = 0 ] && ! grep -q "ERROR" "$CL_DIR/pgbench.out"; then
    pass "16 clients for ${secs}s: no error ($tps)"
  else
    fail "pgbench: rc=$rc failed=${failed:-?}: $(grep -m3 -E 'ERROR|error' "$CL_DIR/pgbench.out")"
  fi
  local lost written
  written=$(q -c "SELECT count(*) FROM written")
  lost=$(q -c "SELECT count(*) FROM written w WHERE NOT EXISTS (SELECT 1 FROM gv_get('cc', ARRAY[w.id::text]))")
  [ "$lost" = 0 ] && [ "$written" -gt 0 ] && pass "all $written upserts are in the collection" || fail "$lost of $written upserts lost"
  cluster_stop fast
}

# --- DROP DATABASE: the supervisor drops that database's collections, and only those. ----------------------
qdb() { local db=$1; shift; as_pg "$PG_BINDIR/psql" -h "$CL_DIR" -p "$CL_PORT" -U postgres -d "$db" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
engine_collections() { q -c "SELECT gv_engine_status()->'cluster'->>'collections'"; }  # every database's
dropped_line() { grep -q "govector: dropped $2 collections of database OID $1, which no longer exists" "$CL_LOG"; }

scenario_dropdb() {
  cluster_init dropdb
  cluster_start
  q -c "CREATE DATABASE d1" -c "CREATE DATABASE d2" >/dev/null
  local d1 d2 n epid
  d1=$(q -c "SELECT oid FROM pg_database WHERE datname = 'd1'")
  d2=$(q -c "SELECT oid FROM pg_database WHERE datname = 'd2'")
  qdb d1 -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('a', 2)" \
    -c "SELECT gv_create_collection('shared_name', 3, 'euclid')" -c "SELECT gv_upsert('a', '1', '{1,0}')" >/dev/null
  qdb d2 -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('c', 2)" >/dev/null
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('shared_name', 2)" \
    -c "SELECT gv_upsert('shared_name', '1', '{1,0}')" >/dev/null
  n=$(engine_collections)
  [ "$n" = 4 ] && pass "4 collections in 3 databases" || fail "expected 4 collections, the engine has $n"

  # Let the round after the engine's start pass, so the drop is found by a periodic one (every 10 s). The
  # sessions of d1 have ended (each psql above exits), so Postgres lets it be dropped.
  sleep 1
  q -c "DROP DATABASE d1"
  if wait_for 20 dropped_line "$d1" 2; then pass "DROP DATABASE d1: the supervisor dropped its 2 collections"; else fail "no drop line for d1 (OID $d1) within 20 s"; fi
  n=$(engine_collections)
  [ "$n" = 2 ] && pass "the engine keeps the other databases' 2 collections" || fail "the engine has $n collections, expected 2"
  [ "$(q -c "SELECT name || ':' || points FROM gv_collections()")" = "shared_name:1" ] &&
    pass "postgres's collection of the same name is intact" || fail "postgres's collection changed: $(q -c "SELECT * FROM gv_collections()")"
  [ "$(qdb d2 -c "SELECT string_agg(name, ',') FROM gv_collections()")" = c ] && pass "d2's collection is intact" || fail "d2's collection is gone"

  # The drop is durable; a restart brings nothing back and drops nothing more.
  cluster_stop fast
  cluster_start
  n=$(engine_collections)
  [ "$n" = 2 ] && pass "after a restart: 2 collections" || fail "after a restart: $n collections, expected 2"
  sleep 2  # the supervisor reconciles soon after the engine starts
  n=$(engine_collections)
  [ "$n" = 2 ] && [ "$(q -c "SELECT gv_count('shared_name')")" = 1 ] && pass "after a restart and a reconciliation: unchanged" ||
    fail "after a restart and a reconciliation: $n collections"

  # A database dropped while the engine is down (killed; the supervisor starts a new one) is reconciled once
  # the engine is back.
  epid=$(engine_pid)
  kill -9 "$epid"
  q -c "DROP DATABASE d2"
  if wait_for 15 dropped_line "$d2" 1; then pass "a database dropped while the engine was down is reconciled"; else fail "no drop line for d2 (OID $d2) within 15 s"; fi
  n=$(engine_collections)
  [ "$n" = 1 ] && pass "only postgres's collection is left" || fail "the engine has $n collections, expected 1"
  [ "$(grep -c "govector: dropped .* collections of database OID" "$CL_LOG")" = 2 ] && pass "one drop line per dropped database" ||
    fail "drop lines: $(grep "govector: dropped" "$CL_LOG")"
  if grep -q "could not drop the collections\|WARNING" "$CL_LOG"; then fail "warnings in the log: $(grep -m3 WARNING "$CL_LOG")"; else pass "no warning in the log"; fi
  cluster_stop fast
}

. test/system/transactions.sh
. test/system/replicas.sh
. test/system/backups.sh
. test/system/dumps.sh
. test/system/pgvector.sh
trap 'cluster_cleanup; standby_cleanup; copy_cleanup; dumps_cleanup' EXIT

all="restart kill_engine immediate postmaster_death cancel concurrency dropdb fresh_start no_preload cancelled_write ledger big_transaction kill_mid_apply newer_format standby basebackups backup_without_copy pitr dump_restore pgvector_coexistence"
for s in ${@:-$all}; do
  log "=== $s"
  "scenario_$s"
  cluster_cleanup
  standby_cleanup
  copy_cleanup
  dumps_cleanup
done
if [ $FAILURES -gt 0 ]; then
  log "$FAILURES system check(s) failed"
  exit 1
fi
log "all system checks passed"

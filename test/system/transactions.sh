# Whole-system scenarios for vector writes in WAL (sourced by run.sh): a ledger of committed transactions
# against the collection through engine kills and an immediate stop, cancelled writes that must never land,
# and an engine that comes up with no client after initdb and after crash recovery.

# ledger_client FILE N CLIENT: N transactions, each writing two ledger rows and the two points of the same
# ids; about a third roll back or fail on purpose. The ledger table is the truth of what committed.
ledger_client_sql() {
  local file=$1 n=$2 c=$3
  for i in $(seq 1 "$n"); do
    local a="c$c-$i-a" b="c$c-$i-b" r=$((RANDOM % 6))
    echo "BEGIN;"
    echo "INSERT INTO ledger VALUES ('$a'), ('$b');"
    if [ $((i % 2)) = 0 ]; then
      echo "SELECT gv_upsert_batch('led', ARRAY['$a', '$b'], ARRAY[[$c, $i, 1, 0], [$c, $i, 0, 1]]::real[]);"
    else
      echo "SELECT gv_upsert('led', '$a', '{$c,$i,1,0}');"
      echo "SELECT gv_upsert('led', '$b', '{$c,$i,0,1}');"
    fi
    case $r in
      0) echo "ROLLBACK;" ;;
      1) echo "SELECT 1 / 0;"; echo "COMMIT;" ;;
      *) echo "COMMIT;" ;;
    esac
  done >"$file"
}

ledger_clients_start() {  # ledger_clients_start PHASE: 8 clients in the background; pids in LEDGER_PIDS
  LEDGER_PIDS=()
  for c in $(seq 1 8); do
    local f="$CL_DIR/ledger-$1-$c.sql"
    ledger_client_sql "$f" 4000 "$1$c"
    as_pg "$PG_BINDIR/psql" -h "$CL_DIR" -p "$CL_PORT" -U postgres -d postgres -X -q -f "$f" >/dev/null 2>&1 &
    LEDGER_PIDS+=($!)
  done
}

ledger_clients_stop() {
  for p in "${LEDGER_PIDS[@]}"; do pkill -TERM -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  wait "${LEDGER_PIDS[@]}" 2>/dev/null
}

# Every committed ledger id is a point and every point is a committed ledger id.
ledger_check() {  # ledger_check WHAT [PSQL]: PSQL runs the queries (q, the test cluster's, by default)
  local sql=${2:-q}
  # A committed write waits for the apply worker, which applies in commit order: after it, all is applied.
  $sql -c "SELECT gv_upsert('led', 'sentinel', '{0,0,0,1}')" -c "SELECT gv_delete('led', ARRAY['sentinel'])" >/dev/null
  local committed points missing extra
  committed=$($sql -c "SELECT count(*) FROM ledger")
  points=$($sql -c "SELECT gv_count('led')")
  missing=$($sql -c "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM ledft f WHERE f.id = l.id)")
  extra=$($sql -c "SELECT count(*) FROM ledft f WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.id = f.id)")
  if [ "$missing" = 0 ] && [ "$extra" = 0 ] && [ "$committed" = "$points" ] && [ "$committed" -gt 0 ]; then
    pass "$1: the $committed committed ledger ids are exactly the collection's points"
  else
    fail "$1: $committed committed, $points points, $missing committed ids missing, $extra points never committed"
  fi
}

scenario_ledger() {
  cluster_init ledger
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('led', 4, 'euclid')" \
    -c "CREATE TABLE ledger (id text PRIMARY KEY)" -c "GRANT ALL ON ledger TO PUBLIC" \
    -c "CREATE FOREIGN TABLE ledft (id text) SERVER govector OPTIONS (collection 'led')" >/dev/null
  local secs=${GV_LEDGER_SECONDS:-60} epid
  ledger_clients_start 1
  for k in 1 2 3; do
    sleep $((secs / 5))
    epid=$(engine_pid)
    kill -9 "$epid" 2>/dev/null && log "killed the engine (pid $epid) with -9"
  done
  sleep $((secs / 5))
  cluster_stop immediate
  log "stopped the server in immediate mode"
  ledger_clients_stop
  cluster_start
  ledger_clients_start 2
  sleep $((secs / 5))
  ledger_clients_stop
  ledger_check "8 clients, 3 engine kills, an immediate stop"
  local rolled
  rolled=$(grep -c "ROLLBACK\|1 / 0" "$CL_DIR"/ledger-1-*.sql | awk -F: '{s += $2} END {print s}')
  [ "$rolled" -gt 0 ] && pass "the clients' scripts roll back or fail $rolled of their transactions" || fail "no transaction rolled back"
  cluster_stop fast
  cluster_start
  ledger_check "after a clean restart"
  cluster_stop fast
}

# A cancelled or timed-out write never takes effect, not even seconds later.
scenario_cancelled_write() {
  cluster_init cancelled
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('cx', 4, 'euclid')" \
    -c "CREATE TABLE src AS SELECT array_agg(g::text) AS ids, array_agg(ARRAY[g, 1, 2, 3]::real[]) AS vecs
        FROM generate_series(1, 400000) g" >/dev/null
  local out
  out=$(q -c "SET statement_timeout = '300ms'" -c "SELECT gv_upsert_batch('cx', ids, vecs) FROM src" 2>&1)
  if echo "$out" | grep -q "canceling statement due to statement timeout"; then pass "a 400,000-point batch times out"; else fail "the batch did not time out: $out"; fi
  q -c "SELECT gv_upsert('cx', '17', '{9,9,9,9}')" >/dev/null
  sleep 5
  local n v
  n=$(q -c "SELECT gv_count('cx')")
  v=$(q -c "SELECT vector FROM gv_get('cx', ARRAY['17'])")
  [ "$n" = 1 ] && [ "$v" = "{9,9,9,9}" ] && pass "5 s later only the later write is there" ||
    fail "after the cancelled batch: count $n, point 17 is $v"

  q -c "SELECT gv_upsert_batch('cx', ids, vecs) FROM src" >/dev/null
  out=$(q -c "SET statement_timeout = '100ms'" -c "SELECT gv_delete_where('cx', '{}')" 2>&1)
  sleep 5
  n=$(q -c "SELECT gv_count('cx')")
  if echo "$out" | grep -q "canceling statement"; then
    [ "$n" = 400000 ] && pass "a cancelled delete of everything deletes nothing, 5 s later" || fail "after the cancelled delete: $n points"
  else
    fail "the delete was not cancelled within 100 ms: $out"
  fi
  cluster_stop fast
}

http_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && grep -q "200" <&3) 2>/dev/null; }

# The engine and the HTTP API come up with no SQL client, after initdb and after crash recovery.
scenario_fresh_start() {
  local http
  http=$(free_port 56000)
  cluster_init fresh "govector.http_port = $http"
  cluster_start
  if wait_for 10 http_answers "$http"; then pass "after initdb: the HTTP API answers with no SQL client"; else fail "after initdb: no HTTP API within 10 s"; fi
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('f', 2)" -c "SELECT gv_upsert('f', '1', '{1,0}')" >/dev/null
  cluster_stop immediate
  cluster_start
  if wait_for 10 http_answers "$http"; then pass "after crash recovery: the HTTP API answers with no SQL client"; else fail "after crash recovery: no HTTP API within 10 s"; fi
  if grep -q "FATAL" "$CL_LOG"; then fail "FATAL in the log: $(grep -m2 FATAL "$CL_LOG")"; else pass "no FATAL in the log"; fi
  [ "$(q -c "SELECT gv_count('f')")" = 1 ] && pass "after crash recovery: the committed point is there" || fail "after crash recovery: point lost"
  [ "$(q -c "SHOW govector.ef_search")" = 0 ] && pass "SHOW govector.* works in a fresh session" || fail "SHOW govector.ef_search failed"
  q -c "ALTER SYSTEM SET govector.ef_search = 64" -c "SELECT pg_reload_conf()" >/dev/null &&
    [ "$(q -c "SHOW govector.ef_search")" = 64 ] && pass "ALTER SYSTEM SET govector.* works" || fail "ALTER SYSTEM SET govector.ef_search failed"
  cluster_stop fast
}

# Without shared_preload_libraries, every gv_* call fails with a hint saying what to add.
scenario_no_preload() {
  cluster_init nopreload
  as_pg sed -i "/shared_preload_libraries/d" "$CL_DIR/data/postgresql.conf"
  cluster_start
  local out
  out=$(q -c "CREATE EXTENSION govector" -c "SELECT gv_count('x')" 2>&1)
  if echo "$out" | grep -q "govector must be loaded at server start" && echo "$out" | grep -q "shared_preload_libraries = 'govector'"; then
    pass "not preloaded: a clear error with the hint"
  else
    fail "not preloaded: $out"
  fi
  cluster_stop fast
}

# A transaction of 1,100,000 points commits and applies: the apply worker keeps only its records' WAL
# positions past 32 MB (it reads them again at commit) and logs its progress, and every point is there once
# COMMIT returns.
scenario_big_transaction() {
  cluster_init big "max_wal_size = 4GB"
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('big', 16, 'euclid', 'flat')" \
    -c "CREATE FOREIGN TABLE bigft (id text, vector real[]) SERVER govector OPTIONS (collection 'big')" >/dev/null
  local t0 t1 n
  t0=$(date +%s)
  # 16 dimensions, 1,100,000 points: about 100 MB of WAL records, past the worker's 32 MB in memory per
  # transaction, and 70 MB of vectors, past the engine's 64 MB for a transaction's own points. The session
  # stays open (idle) after its COMMIT: the engine's spill file of the transaction must go anyway.
  local spill=$CL_DIR/data/govector/txn-spill
  q -c "BEGIN" \
    -c "INSERT INTO bigft SELECT g::text, array_fill((g % 97)::real, ARRAY[16]) FROM generate_series(1, 1100000) g" \
    -c "\\! ls -A $spill > $CL_DIR/spill-before-commit 2>&1; true" -c "COMMIT" \
    -c "\\! for i in \$(seq 50); do [ -z \"\$(ls -A $spill 2>/dev/null)\" ] && break; sleep 0.1; done; ls -A $spill > $CL_DIR/spill-after-commit 2>&1; true" >/dev/null
  t1=$(date +%s)
  n=$(q -c "SELECT gv_count('big')")
  [ "$n" = 1100000 ] && pass "a 1,100,000-point INSERT ... SELECT commits with every point applied ($((t1 - t0)) s)" ||
    fail "after the 1,100,000-point transaction: $n points"
  grep -q "govector: transaction [0-9]* has more than [0-9]* MB of vector writes; keeping only their WAL positions" "$CL_LOG" &&
    pass "the apply worker kept the transaction's records in WAL only" || fail "no line in the log about keeping WAL positions"
  grep -q "govector: applying transaction [0-9]*: [0-9]* of [0-9]* writes" "$CL_LOG" &&
    pass "the apply worker logged its progress" || fail "no progress line in the log"
  [ -z "$(ls -A "$CL_DIR/data/govector/spill" 2>/dev/null)" ] && pass "no spill file is left behind" || fail "spill files left: $(ls "$CL_DIR/data/govector/spill")"
  [ -s "$CL_DIR/spill-before-commit" ] && pass "the engine spilled the open transaction's points to a file" ||
    fail "no engine spill file during the transaction"
  [ -f "$CL_DIR/spill-after-commit" ] && [ ! -s "$CL_DIR/spill-after-commit" ] &&
    pass "the engine's spill file is gone once COMMIT returns, with the session still open" ||
    fail "engine spill files while the session idles after COMMIT: $(cat "$CL_DIR/spill-after-commit" 2>&1)"
  cluster_stop fast
}

# Engine files in a newer format than this engine reads: it refuses once, with a clear log line, is not
# restarted, and every gv_* call says why; with the format back, the server serves them again.
scenario_newer_format() {
  cluster_init newerformat
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('nf', 2, 'dot')" \
    -c "SELECT gv_upsert('nf', 'a', '{1,0}')" >/dev/null
  cluster_stop fast
  as_pg build/gv_set_format "$CL_DIR/data/govector" 99
  cluster_start
  local err
  wait_for 10 grep -q "is in format 99, written by a newer govector" "$CL_LOG" &&
    pass "newer format: the engine's log line names the format" || fail "newer format: no log line"
  sleep 3
  err=$(q -v VERBOSITY=verbose -c "SELECT gv_count('nf')" 2>&1)
  case $err in
    *0A000*"written by a newer govector"*) pass "newer format: gv_count fails with 0A000 and says why" ;;
    *) fail "newer format: gv_count gave: $err" ;;
  esac
  [ "$(grep -c "govector: started the engine" "$CL_LOG")" = 2 ] && pass "newer format: the engine is not restarted in a loop" ||
    fail "newer format: the engine was started $(grep -c "govector: started the engine" "$CL_LOG") times"
  cluster_stop fast
  as_pg build/gv_set_format "$CL_DIR/data/govector" 1
  cluster_start
  if wait_for 20 q -c "SELECT gv_count('nf')"; then
    [ "$(q -c "SELECT gv_count('nf')")" = 1 ] && pass "newer format: with its own format back, the data is served" ||
      fail "newer format: count $(q -c "SELECT gv_count('nf')")"
  else
    fail "newer format: engine did not come back"
  fi
  cluster_stop fast
}

# The engine killed in the middle of applying one transaction's writes, with no other transaction in
# flight: after its restart the rest of the transaction is applied, none lost (the restart position of a
# partly applied transaction includes its own records).
mid_applied_some() { [ "$(q -c "SELECT gv_count('${1:-mid}')" 2>/dev/null || echo 0)" -gt 0 ]; }
mid_applied_all() { [ "$(q -c "SELECT gv_count('${1:-mid}')" 2>/dev/null)" = 20000 ]; }

scenario_kill_mid_apply() {
  cluster_init midapply
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('mid', 4, 'euclid')" >/dev/null
  # One record per row: 20,000 writes of one transaction, applied one by one after COMMIT (not waited for).
  q -c "SET govector.commit_wait = off" -c "BEGIN" \
    -c "SELECT count(gv_upsert('mid', i::text, ARRAY[i, i % 7, 1, 0]::real[], jsonb_build_object('i', i))) FROM generate_series(1, 20000) i" \
    -c "COMMIT" >/dev/null
  local n epid
  wait_for 30 mid_applied_some || fail "mid-apply: nothing applied"
  n=$(q -c "SELECT gv_count('mid')")
  epid=$(engine_pid)
  kill -9 "$epid"
  log "killed the engine with $n of 20000 writes applied"
  [ "$n" -lt 20000 ] || log "(the whole transaction was applied before the kill: the check below proves less)"
  if wait_for 60 mid_applied_all; then
    pass "mid-apply: after the engine's restart all 20000 writes of the transaction are there"
  else
    fail "mid-apply: $(q -c "SELECT gv_count('mid')" 2>&1) of 20000 writes after the restart"
  fi
  # The same past the apply worker's 32 MB in memory (20,000 records of 2 KB): it keeps only the records'
  # WAL positions and reads them again at commit, and again once the engine is back.
  q -c "SELECT gv_create_collection('mid2', 512, 'euclid', 'flat')" >/dev/null
  q -c "SET govector.commit_wait = off" -c "BEGIN" \
    -c "SELECT count(gv_upsert('mid2', i::text, array_fill((i % 101)::real, ARRAY[512]), jsonb_build_object('i', i))) FROM generate_series(1, 20000) i" \
    -c "COMMIT" >/dev/null
  wait_for 30 mid_applied_some mid2 || fail "mid-apply past 32 MB: nothing applied"
  n=$(q -c "SELECT gv_count('mid2')")
  kill -9 "$(engine_pid)"
  log "killed the engine with $n of 20000 writes (past 32 MB) applied"
  if wait_for 60 mid_applied_all mid2; then
    pass "mid-apply past 32 MB: after the engine's restart all 20000 writes are there"
  else
    fail "mid-apply past 32 MB: $(q -c "SELECT gv_count('mid2')" 2>&1) of 20000 writes after the restart"
  fi
  [ "$(q -c "SELECT count(*) FROM generate_series(1, 20000) i, gv_get('mid2', ARRAY[i::text]) g
              WHERE g.vector[512] = (i % 101)::real AND (g.payload->>'i')::int = i")" = 20000 ] &&
    pass "mid-apply past 32 MB: every point holds its own vector and payload" ||
    fail "mid-apply past 32 MB: points differ from what was written"
  grep -q "keeping only their WAL positions" "$CL_LOG" && pass "mid-apply past 32 MB: the records were kept in WAL only" ||
    fail "mid-apply past 32 MB: no line about keeping WAL positions"
  cluster_stop fast
}

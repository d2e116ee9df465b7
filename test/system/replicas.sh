# Whole-system scenarios for replicas (sourced by run.sh): a streaming hot standby built with pg_basebackup
# serves vector reads (SQL and HTTP) as it replays the primary's WAL, refuses writes, and carries on with
# every committed point after promotion.

# psql against the standby (CL_* stays the primary's).
qs() { as_pg "$PG_BINDIR/psql" -h "$SB_DIR" -p "$SB_PORT" -U postgres -d postgres -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# http PORT METHOD PATH [BODY]: prints the status code, then the body, of one request.
http() {
  local port=$1 method=$2 path=$3 body=${4:-}
  curl -s -o /dev/stdout -w '\n%{http_code}' -X "$method" -H 'Content-Type: application/json' \
    ${body:+--data "$body"} "http://127.0.0.1:$port$path"
}

http_code() { http "$@" | tail -1; }

# standby_init NAME: a standby of the running primary (CL_*), made with pg_basebackup -R; sets SB_*.
standby_init() {
  SB_DIR=$SYS_ROOT/$1
  rm -rf "$SB_DIR"
  pg_dir "$SB_DIR"
  SB_PORT=$(free_port 54000)
  SB_HTTP=$(free_port 57000)
  SB_LOG=$SB_DIR/server.log
  as_pg "$PG_BINDIR/pg_basebackup" -h "$CL_DIR" -p "$CL_PORT" -U postgres -D "$SB_DIR/data" -R -X stream -c fast
  {
    echo "port = $SB_PORT"
    echo "unix_socket_directories = '$SB_DIR'"
    echo "govector.http_port = $SB_HTTP"
    echo "hot_standby = on"
  } | as_pg tee -a "$SB_DIR/data/postgresql.conf" >/dev/null
}

standby_green() { [ "$(qs -c "SELECT gv_collection_info('rep')->>'status'")" = green ]; }
standby_start() { as_pg "$PG_BINDIR/pg_ctl" -D "$SB_DIR/data" -l "$SB_LOG" -w -t 60 start >/dev/null; }

standby_cleanup() {
  if [ -n "${SB_DIR:-}" ] && [ -f "$SB_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$SB_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

# sql_points FIRST LAST: a VALUES-free statement upserting points FIRST..LAST into collection rep.
sql_points() {
  echo "SELECT gv_upsert_batch('rep', array_agg(i::text ORDER BY i),
          array_agg(ARRAY[i, i % 7, 1]::real[] ORDER BY i), array_agg(jsonb_build_object('i', i) ORDER BY i))
        FROM generate_series($1, $2) i"
}

standby_caught_up() {
  [ "$(qs -c "SELECT pg_lsn(gv_engine_status()->'wal'->>'processed_lsn') >= pg_last_wal_replay_lsn()")" = t ]
}

standby_count_is() { [ "$(qs -c "SELECT gv_count('rep')")" = "$1" ]; }

scenario_standby() {
  local http
  http=$(free_port 56000)
  cluster_init primary "govector.http_port = $http" "wal_level = replica" "max_wal_senders = 5"
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('rep', 3, 'euclid')" >/dev/null
  q -c "$(sql_points 1 500)" >/dev/null
  standby_init standby
  standby_start
  if wait_for 20 standby_count_is 500; then pass "standby: serves the base backup's 500 points"; else fail "standby: count is $(qs -c "SELECT gv_count('rep')" 2>&1)"; fi

  # Writes on the primary, through SQL and HTTP, reach the standby's searches within a second, once the
  # standby has settled: its engine has finished restoring the base backup's copy (removing it, rebuilding
  # indexes), which at startup can hold an apply up for longer than that on a loaded machine.
  wait_for 20 grep -q "the engine's data is restored from the copy" "$SB_LOG" ||
    fail "standby: the engine did not finish restoring the base backup's copy"
  wait_for 20 standby_green || fail "standby: the collection's index is not built"
  wait_for 10 standby_caught_up || fail "standby: the apply worker did not catch up with replay"
  q -c "$(sql_points 501 1500)" >/dev/null
  local t0=$SECONDS
  if wait_for 1 standby_count_is 1500; then pass "standby: 1000 points written on the primary appear within 1 s"; else
    fail "standby: after 1 s the standby has $(qs -c "SELECT gv_count('rep')") points, expected 1500"; fi
  local code
  code=$(http_code "$http" PUT "/collections/rep/points?wait=true" \
    '{"points": [{"id": 2001, "vector": [0.5, 0.5, 0.5], "payload": {"via": "http"}}]}')
  [ "$code" = 200 ] && pass "primary: an HTTP upsert commits" || fail "primary: HTTP upsert answered $code"
  if wait_for 1 standby_count_is 1501; then pass "standby: the HTTP write appears within 1 s"; else fail "standby: HTTP write not seen"; fi
  [ "$(qs -c "SELECT payload->>'via' FROM gv_get('rep', ARRAY['2001'])")" = http ] && pass "standby: gv_get reads the HTTP point" ||
    fail "standby: gv_get of 2001 gave '$(qs -c "SELECT payload FROM gv_get('rep', ARRAY['2001'])")'"
  local near
  near=$(qs -c "SELECT id FROM gv_search('rep', '{700,0,1}', 1)")
  [ "$near" = 700 ] && pass "standby: gv_search finds the nearest point" || fail "standby: gv_search gave '$near'"
  [ "$(qs -c "SELECT count(*) FROM gv_collections() WHERE name = 'rep'")" = 1 ] && pass "standby: gv_collections" ||
    fail "standby: gv_collections does not list rep"
  code=$(http_code "$SB_HTTP" POST /collections/rep/points/search '{"vector": [700, 0, 1], "limit": 1}')
  [ "$code" = 200 ] && pass "standby: the HTTP API serves searches" || fail "standby: HTTP search answered $code"
  q -c "SELECT gv_create_collection('later', 3, 'dot')" >/dev/null
  if wait_for 2 qs -c "SELECT gv_count('later')"; then pass "standby: a collection created on the primary appears"; else fail "standby: no collection 'later'"; fi

  # A foreign table on the primary reads on the standby (EXPLAIN included).
  q -c "CREATE FOREIGN TABLE rep_ft (id text, vector real[], payload jsonb) SERVER govector OPTIONS (collection 'rep')" >/dev/null
  if wait_for 5 qs -c "SELECT 1 FROM pg_class WHERE relname = 'rep_ft'"; then :; fi
  [ "$(qs -c "SELECT count(*) FROM rep_ft")" = 1501 ] && pass "standby: a foreign-table scan reads every point" ||
    fail "standby: foreign-table count $(qs -c "SELECT count(*) FROM rep_ft" 2>&1)"
  if qs -c "EXPLAIN SELECT id FROM rep_ft ORDER BY vector <-> '{1,1,1}' LIMIT 3" >/dev/null 2>&1; then
    pass "standby: EXPLAIN of a foreign-table query"; else fail "standby: EXPLAIN failed"; fi

  # Writes on the standby are refused at once: 25006 in SQL, 403 over HTTP; nothing changes.
  local err
  err=$(qs -v VERBOSITY=verbose -c "SELECT gv_upsert('rep', 'x', '{1,2,3}')" 2>&1)
  case $err in *25006*) pass "standby: gv_upsert is refused with 25006" ;; *) fail "standby: gv_upsert gave: $err" ;; esac
  err=$(qs -v VERBOSITY=verbose -c "INSERT INTO rep_ft VALUES ('y', '{1,2,3}', '{}')" 2>&1)
  case $err in *25006*) pass "standby: a foreign-table INSERT is refused with 25006" ;; *) fail "standby: INSERT gave: $err" ;; esac
  err=$(qs -v VERBOSITY=verbose -c "SELECT gv_create_collection('nope', 3, 'dot')" 2>&1)
  case $err in *25006*) pass "standby: gv_create_collection is refused with 25006" ;; *) fail "standby: create gave: $err" ;; esac
  local t1=$SECONDS
  code=$(http_code "$SB_HTTP" PUT "/collections/rep/points?wait=true" '{"points": [{"id": 9, "vector": [1, 2, 3]}]}')
  [ "$code" = 403 ] && pass "standby: an HTTP write is refused with 403" || fail "standby: HTTP write answered $code"
  [ $((SECONDS - t1)) -le 2 ] && pass "standby: refusals are immediate" || fail "standby: a refusal took $((SECONDS - t1)) s"
  standby_count_is 1501 && pass "standby: refused writes changed nothing" || fail "standby: count changed"

  # Replay lag is visible.
  local st
  st=$(qs -c "SELECT (gv_engine_status()->'wal'->>'in_recovery') || ' ' ||
                     (pg_lsn(gv_engine_status()->'wal'->>'applied_lsn') <= pg_last_wal_replay_lsn())::text")
  [ "$st" = "true true" ] && pass "standby: gv_engine_status shows recovery and an applied LSN up to the replay LSN" ||
    fail "standby: status '$st'"

  # Promotion: the promoted node has every committed point and takes writes, SQL and HTTP.
  q -c "$(sql_points 1501 2000)" >/dev/null
  local lsn
  lsn=$(q -c "SELECT pg_current_wal_lsn()")
  wait_for 10 qs -c "SELECT 1 WHERE pg_last_wal_replay_lsn() >= '$lsn'" || fail "standby: replay did not reach $lsn"
  cluster_stop fast
  as_pg "$PG_BINDIR/pg_ctl" -D "$SB_DIR/data" -w -t 60 promote >/dev/null
  if wait_for 10 qs -c "SELECT gv_upsert('rep', 'after', '{1,2,3}')"; then pass "promoted: accepts a SQL write"; else
    fail "promoted: write refused: $(qs -c "SELECT gv_upsert('rep', 'after', '{1,2,3}')" 2>&1)"; fi
  [ "$(qs -c "SELECT gv_count('rep')")" = 2002 ] && pass "promoted: every committed point is there (2000 + 1 HTTP + 1 new)" ||
    fail "promoted: count $(qs -c "SELECT gv_count('rep')"), expected 2002"
  code=$(http_code "$SB_HTTP" PUT "/collections/rep/points?wait=true" '{"points": [{"id": 3001, "vector": [3, 0, 1]}]}')
  [ "$code" = 200 ] && pass "promoted: an HTTP write commits" || fail "promoted: HTTP write answered $code"
  [ "$(qs -c "SELECT gv_count('rep')")" = 2003 ] && pass "promoted: the HTTP write is read back" || fail "promoted: HTTP point missing"
  [ "$(qs -c "SELECT gv_engine_status()->'wal'->>'in_recovery'")" = false ] && pass "promoted: no longer in recovery" ||
    fail "promoted: status still says recovery"
  local bad="(WARNING|FATAL|PANIC): .*govector|govector: (ERROR|WARNING)"
  if grep -Eq "$bad" "$SB_LOG"; then fail "standby log: $(grep -E -m3 "$bad" "$SB_LOG")"; else
    pass "standby log: no govector warning or error"; fi
  standby_cleanup
}

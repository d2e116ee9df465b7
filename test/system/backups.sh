# Whole-system scenarios for physical backups (sourced by run.sh): base backups taken while clients write
# (pg_basebackup -X stream and -X fetch, and pg_backup_start() / file copy / pg_backup_stop()) each start and
# hold exactly the committed vector writes whose ledger rows they hold; a copy without the engine's copy is
# refused loudly; point-in-time recovery brings collections and points to the tables' point in time.

# A writer: transactions of 200 ledger rows and the 200 points of the same ids, forever (until killed).
batch_writer() {  # batch_writer TAG
  local tag=$1 b=0
  while :; do
    b=$((b + 1))
    q -c "BEGIN" \
      -c "INSERT INTO ledger SELECT '$tag-$b-' || i FROM generate_series(1, 200) i" \
      -c "SELECT gv_upsert_batch('led', array_agg('$tag-$b-' || i ORDER BY i),
                                 array_agg(ARRAY[i, $b, 1, 0]::real[] ORDER BY i)) FROM generate_series(1, 200) i" \
      -c "COMMIT" >/dev/null 2>&1 || true
  done
}

# BK_* : a server started from a copy, on its own port.
qb() { as_pg "$PG_BINDIR/psql" -h "$BK_DIR" -p "$BK_PORT" -U postgres -d postgres -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

copy_prepare() {  # copy_prepare DIR: settings of a server started from the copy in DIR/data
  BK_DIR=$1
  BK_PORT=$(free_port 55000)
  BK_LOG=$BK_DIR/server.log
  rm -f "$BK_DIR/data/standby.signal" "$BK_DIR/data/recovery.signal"
  {
    echo "port = $BK_PORT"
    echo "unix_socket_directories = '$BK_DIR'"
    echo "archive_mode = off"
  } | as_pg tee -a "$BK_DIR/data/postgresql.conf" >/dev/null
}

copy_start() { as_pg "$PG_BINDIR/pg_ctl" -D "$BK_DIR/data" -l "$BK_LOG" -w -t 120 start >/dev/null; }
copy_stop() { as_pg "$PG_BINDIR/pg_ctl" -D "$BK_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true; }

copy_cleanup() {
  if [ -n "${BK_DIR:-}" ] && [ -f "$BK_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$BK_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

# The copy's committed ledger ids are exactly its points.
copy_check() {  # copy_check WHAT
  if ! wait_for 60 qb -c "SELECT gv_count('led')"; then
    fail "$1: the copy's engine does not answer: $(qb -c "SELECT gv_count('led')" 2>&1 | head -3)"
    return
  fi
  ledger_check "$1" qb
}

# A copy made by hand: pg_backup_start, cp of the running data directory, pg_backup_stop, the label written
# into the copy, then the WAL written meanwhile (no archive here).
manual_backup() {  # manual_backup DEST
  local dest=$1 label=$1.label
  as_pg mkdir -p "$dest"
  q -c "SELECT pg_backup_start('manual', true)" \
    -c "\\! cp -a '$CL_DIR/data/.' '$dest/' 2>/dev/null; true" \
    -c "\\pset format unaligned" -c "\\pset tuples_only on" -c "\\o $label" \
    -c "SELECT labelfile FROM pg_backup_stop(false)" -c "\\o" >/dev/null 2>&1
  as_pg cp "$CL_DIR"/data/pg_wal/0* "$dest/pg_wal/" 2>/dev/null
  as_pg cp "$label" "$dest/backup_label"
  as_pg rm -rf "$dest/postmaster.pid" "$dest/postmaster.opts" "$dest"/pg_replslot/*
}

scenario_basebackups() {
  cluster_init bbprimary "wal_level = replica" "max_wal_senders = 10" "checkpoint_timeout = 30s" \
    "wal_keep_size = 512MB"
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('led', 4, 'euclid')" \
    -c "CREATE TABLE ledger (id text PRIMARY KEY)" \
    -c "CREATE FOREIGN TABLE ledft (id text) SERVER govector OPTIONS (collection 'led')" >/dev/null
  local pids=() i mode
  batch_writer a & pids+=($!)
  batch_writer b & pids+=($!)
  sleep 2
  # Ten pg_basebackup copies (six -X stream, four -X fetch) and two made by hand.
  local modes=(stream fetch manual stream fetch stream stream fetch manual stream fetch stream)
  local n=${#modes[@]}
  for i in $(seq 1 "$n"); do
    mode=${modes[$((i - 1))]}
    local dest=$CL_DIR/copy$i
    rm -rf "$dest"; pg_dir "$dest"
    case $mode in
      manual) manual_backup "$dest/data" ;;
      *) as_pg "$PG_BINDIR/pg_basebackup" -h "$CL_DIR" -p "$CL_PORT" -U postgres -D "$dest/data" -X "$mode" -c fast ;;
    esac || fail "backup $i ($mode) failed"
    log "took backup $i ($mode)"
    sleep 1
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
  [ "$(grep -c "copied the engine's data for the base backup" "$CL_LOG")" -ge "$n" ] &&
    pass "primary: the engine made a copy for each of the $n backups" ||
    fail "primary: $(grep -c "copied the engine's data for the base backup" "$CL_LOG") engine copies for $n backups"
  ! grep -q "began before the engine's copy" "$CL_LOG" || fail "primary: a backup began before its engine copy"
  [ -z "$(ls -A "$CL_DIR/data/govector/backups" 2>/dev/null)" ] && pass "primary: each copy is removed when its backup ends" ||
    fail "primary: copies left: $(ls "$CL_DIR/data/govector/backups")"
  cluster_stop fast
  for i in $(seq 1 "$n"); do
    copy_prepare "$CL_DIR/copy$i"
    if copy_start; then
      copy_check "copy $i (${modes[$((i - 1))]})"
      grep -q "restored the engine's data from backup copy" "$BK_LOG" ||
        fail "copy $i: no restore in its log"
      ! grep -Eq "(WARNING|FATAL|PANIC): " "$BK_LOG" || fail "copy $i log: $(grep -E -m3 "(WARNING|FATAL|PANIC): " "$BK_LOG")"
      copy_stop
    else
      fail "copy $i (${modes[$((i - 1))]}) does not start: $(tail -3 "$BK_LOG")"
    fi
    copy_cleanup
  done
  # A copy restarted after its restore keeps what it has (the restore is not done twice).
  copy_prepare "$CL_DIR/copy1"
  copy_start
  copy_check "copy 1 after a restart"
  copy_stop
}

# A copy whose engine copy is missing (as from a tool whose backup govector did not see) is refused loudly.
scenario_backup_without_copy() {
  cluster_init nocopy "wal_level = replica" "max_wal_senders = 5"
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('led', 4, 'euclid')" \
    -c "SELECT gv_upsert('led', 'a', '{1,2,3,4}')" >/dev/null
  local dest=$CL_DIR/copy
  pg_dir "$dest"
  as_pg "$PG_BINDIR/pg_basebackup" -h "$CL_DIR" -p "$CL_PORT" -U postgres -D "$dest/data" -X stream -c fast
  cluster_stop fast
  as_pg rm -rf "$dest/data/govector/backups"
  copy_prepare "$dest"
  copy_start
  local err
  err=$(qb -v VERBOSITY=verbose -c "SELECT gv_count('led')" 2>&1)
  case $err in
    *XX001*"no copy of the engine's data"*) pass "no engine copy: gv_count fails with XX001 and says why" ;;
    *) fail "no engine copy: gv_count gave: $err" ;;
  esac
  grep -q "has no copy of the engine's data" "$BK_LOG" && pass "no engine copy: the log says so" ||
    fail "no engine copy: nothing in the log"
  # Removing the marker (as the hint says) starts the engine on the files as copied.
  as_pg rm -f "$dest/data/govector/restore"
  if wait_for 20 qb -c "SELECT gv_count('led')"; then pass "no engine copy: without the marker the engine starts"; else
    fail "no engine copy: engine still refused after removing the marker"; fi
  copy_stop
  copy_cleanup
}

# Point-in-time recovery from a base backup and a WAL archive.
pitr_restore() {  # pitr_restore NAME SETTING: a copy of the base backup recovered to SETTING, promoted
  local dest=$CL_DIR/$1
  rm -rf "$dest"; pg_dir "$dest"
  as_pg cp -a "$CL_DIR/base/data" "$dest/data"
  copy_prepare "$dest"
  {
    echo "restore_command = 'cp $CL_DIR/archive/%f %p'"
    echo "$2"
    echo "recovery_target_action = promote"
  } | as_pg tee -a "$dest/data/postgresql.conf" >/dev/null
  as_pg touch "$dest/data/recovery.signal"
  copy_start
  wait_for 60 copy_promoted || fail "$1: recovery did not end: $(tail -3 "$BK_LOG")"
}

copy_promoted() { [ "$(qb -c "SELECT NOT pg_is_in_recovery()")" = t ]; }

archived_upto() {  # archived_upto WALFILE: the primary has archived WALFILE
  [ -f "$CL_DIR/archive/$1" ] && [ "$(q -c "SELECT last_archived_wal >= '$1' FROM pg_stat_archiver")" = t ]
}

pitr_check() {  # pitr_check WHAT LEDGER_ROWS TMP_COLLECTION_EXISTS(t|f) [TMP_POINTS]
  pitr_compare "$@"
  copy_stop
  copy_cleanup
}

pitr_compare() {
  local what=$1 rows=$2 tmp=$3
  if ! wait_for 60 qb -c "SELECT gv_count('led')"; then fail "$what: the engine does not answer"; return; fi
  qb -c "SELECT gv_upsert('led', 'sentinel', '{0,0,0,1}')" -c "SELECT gv_delete('led', ARRAY['sentinel'])" >/dev/null
  local committed points missing
  committed=$(qb -c "SELECT count(*) FROM ledger")
  points=$(qb -c "SELECT gv_count('led')")
  missing=$(qb -c "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM ledft f WHERE f.id = l.id)")
  [ "$committed" = "$rows" ] && [ "$points" = "$rows" ] && [ "$missing" = 0 ] &&
    pass "$what: $rows ledger rows and exactly their points" ||
    fail "$what: $committed ledger rows (expected $rows), $points points, $missing missing"
  local has
  has=$(qb -c "SELECT count(*) FROM gv_collections() WHERE name = 'tmp'")
  if [ "$tmp" = t ]; then
    [ "$has" = 1 ] && [ "$(qb -c "SELECT gv_count('tmp')")" = "$4" ] && pass "$what: collection tmp is there with its $4 points" ||
      fail "$what: collection tmp: listed $has, count $(qb -c "SELECT gv_count('tmp')" 2>&1)"
  else
    [ "$has" = 0 ] && pass "$what: collection tmp is not there" || fail "$what: collection tmp exists"
  fi
}

qb_batch() { pitr_batch "$1" "$2" qb; }  # on the server started from a copy

pitr_batch() {  # pitr_batch FIRST LAST [PSQL]: ledger rows and points FIRST..LAST in one transaction
  ${3:-q} -c "BEGIN" -c "INSERT INTO ledger SELECT 'p' || i FROM generate_series($1, $2) i" \
    -c "SELECT gv_upsert_batch('led', array_agg('p' || i ORDER BY i), array_agg(ARRAY[i, 0, 1, 0]::real[] ORDER BY i))
        FROM generate_series($1, $2) i" -c "COMMIT" >/dev/null
}

scenario_pitr() {
  cluster_init pitr "wal_level = replica" "max_wal_senders = 5" "archive_mode = on"
  as_pg mkdir -p "$CL_DIR/archive"
  echo "archive_command = 'test ! -f $CL_DIR/archive/%f && cp %p $CL_DIR/archive/%f'" | as_pg tee -a "$CL_DIR/data/postgresql.conf" >/dev/null
  cluster_start
  q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('led', 4, 'euclid')" \
    -c "CREATE TABLE ledger (id text PRIMARY KEY)" \
    -c "CREATE FOREIGN TABLE ledft (id text) SERVER govector OPTIONS (collection 'led')" >/dev/null
  pitr_batch 1 100
  pg_dir "$CL_DIR/base"
  as_pg "$PG_BINDIR/pg_basebackup" -h "$CL_DIR" -p "$CL_PORT" -U postgres -D "$CL_DIR/base/data" -X none -c fast
  pitr_batch 101 300
  sleep 1.2
  local t1 t2 lsn xid
  t1=$(q -c "SELECT now()")
  sleep 1.2
  pitr_batch 301 600
  q -c "SELECT gv_create_collection('tmp', 2, 'dot')" \
    -c "SELECT gv_upsert_batch('tmp', ARRAY['x', 'y', 'z'], ARRAY[[1, 0], [0, 1], [1, 1]]::real[])" >/dev/null
  sleep 1.2
  t2=$(q -c "SELECT now()")
  lsn=$(q -c "SELECT pg_current_wal_insert_lsn()")
  sleep 1.2
  q -c "SELECT gv_drop_collection('tmp')" >/dev/null
  xid=$(q -c "BEGIN" -c "SELECT txid_current()" -c "INSERT INTO ledger VALUES ('p601')" \
          -c "SELECT gv_upsert('led', 'p601', '{601,0,1,0}')" -c "COMMIT")
  xid=${xid%%$'\n'*}
  pitr_batch 602 1000
  local last
  last=$(q -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
  q -c "SELECT pg_switch_wal()" >/dev/null
  wait_for 30 archived_upto "$last" || fail "pitr: the archive did not catch up"
  cluster_stop fast

  pitr_restore t1 "recovery_target_time = '$t1'"
  pitr_compare "PITR to a time between two batches" 300 f
  # The recovered server writes on its new timeline; the WAL of the old one after t1 is never applied.
  qb_batch 5001 5100
  copy_stop
  copy_start
  pitr_check "PITR to a time, then writes on the new timeline and a restart" 400 f
  [ "$(grep -c "selected new timeline ID" "$CL_DIR/t1/server.log")" = 1 ] && pass "PITR: a new timeline was chosen" ||
    fail "PITR: no new timeline in the log"
  pitr_restore t2 "recovery_target_time = '$t2'"
  pitr_check "PITR to a time between gv_create_collection and gv_drop_collection" 600 t 3
  pitr_restore lsn "recovery_target_lsn = '$lsn'"
  pitr_check "PITR to an LSN before gv_drop_collection" 600 t 3
  pitr_restore xid "recovery_target_xid = '$xid'"
  pitr_check "PITR to the xid after gv_drop_collection" 601 f

  # A new standby from the old base backup replays the whole archive, serving reads as it goes.
  local dest=$CL_DIR/oldstandby
  rm -rf "$dest"; pg_dir "$dest"
  as_pg cp -a "$CL_DIR/base/data" "$dest/data"
  copy_prepare "$dest"
  echo "restore_command = 'cp $CL_DIR/archive/%f %p'" | as_pg tee -a "$dest/data/postgresql.conf" >/dev/null
  as_pg touch "$dest/data/standby.signal"
  copy_start
  if wait_for 60 copy_count_is 1000; then pass "standby from an old base backup: replays the archive to all 1000 points"; else
    fail "standby from an old base backup: count $(qb -c "SELECT gv_count('led')" 2>&1)"; fi
  [ "$(qb -c "SELECT pg_is_in_recovery()")" = t ] && pass "standby from an old base backup: serves reads in recovery" ||
    fail "standby from an old base backup: not in recovery"
  [ "$(qb -c "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM ledft f WHERE f.id = l.id)")" = 0 ] &&
    pass "standby from an old base backup: every ledger id is a point" || fail "standby from an old base backup: ids missing"
  [ "$(qb -c "SELECT count(*) FROM gv_collections() WHERE name = 'tmp'")" = 0 ] &&
    pass "standby from an old base backup: the dropped collection is gone" || fail "standby from an old base backup: tmp is there"
  as_pg "$PG_BINDIR/pg_ctl" -D "$dest/data" -w -t 60 promote >/dev/null
  wait_for 30 copy_promoted || fail "standby from an old base backup: promotion did not end"
  qb_batch 6001 6010
  [ "$(qb -c "SELECT gv_count('led')")" = 1010 ] && pass "standby from an old base backup: promoted, takes writes" ||
    fail "standby from an old base backup: count after a write $(qb -c "SELECT gv_count('led')" 2>&1)"
  copy_stop
  copy_cleanup
}

copy_count_is() { [ "$(qb -c "SELECT gv_count('led')")" = "$1" ]; }

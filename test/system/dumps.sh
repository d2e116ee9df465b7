# Whole-system scenario for logical backups (sourced by run.sh): a database with collections of every distance,
# both indexes, SQ8, payload indexes of every type, integer / UUID / string ids and foreign tables with
# payload_key columns is dumped with pg_dump (plain and -Fc) and pg_dumpall, and restored into new databases
# of the same cluster and of a new one (psql -1 -v ON_ERROR_STOP=1, pg_restore, pg_restore -j); each copy has
# every point's id, vector (exactly) and payload, the same settings, the same top-10 answers and the same
# foreign-table and table rows.

# DB_* : a second cluster, on its own port.
qn() { local db=$1; shift; as_pg "$PG_BINDIR/psql" -h "$DN_DIR" -p "$DN_PORT" -U postgres -d "$db" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

dump_load() {  # the source database "app"
  qdb app -c "CREATE EXTENSION govector" >/dev/null
  qdb app >/dev/null <<'EOF'
CREATE TABLE orders (id int PRIMARY KEY, doc text, note text);
INSERT INTO orders SELECT i, 'doc-' || i, md5(i::text) FROM generate_series(1, 500) i;
SELECT setseed(0.42);
SELECT gv_create_collection('c_cos', 16, 'cosine');
SELECT gv_create_collection('c_l2', 16, 'euclid', quantization => 'sq8');
SELECT gv_create_collection('c_dot', 8, 'dot', 'flat');
SELECT gv_create_collection('c_l1', 8, 'manhattan', m => 8, ef_construct => 64);
SELECT gv_create_payload_index('c_cos', 'tag', 'keyword');
SELECT gv_create_payload_index('c_cos', 'n', 'integer');
SELECT gv_create_payload_index('c_cos', 'x', 'float');
SELECT gv_create_payload_index('c_cos', 'ok', 'bool');
SELECT gv_create_payload_index('c_cos', 'at', 'datetime');
SELECT gv_create_payload_index('c_l2', 'n', 'integer');
-- String ids, every payload type, nested values.
SELECT gv_upsert_batch('c_cos', array_agg('doc-' || i ORDER BY i),
         array_agg(ARRAY(SELECT (random() * 2 - 1)::real FROM generate_series(1, 16) WHERE i > 0) ORDER BY i),
         array_agg(jsonb_build_object('tag', 't' || (i % 7), 'n', i, 'x', i * 0.37, 'ok', i % 2 = 0,
                                      'at', '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 hour',
                                      'deep', jsonb_build_object('a', jsonb_build_array(i, 'b', null, 1.5e300)))
                   ORDER BY i))
  FROM generate_series(1, 2000) i;
-- Integer ids.
SELECT gv_upsert_batch('c_l2', array_agg(i::text ORDER BY i),
         array_agg(ARRAY(SELECT (random() * 100)::real FROM generate_series(1, 16) WHERE i > 0) ORDER BY i),
         array_agg(jsonb_build_object('n', i) ORDER BY i))
  FROM generate_series(1, 1000) i;
-- UUID ids.
SELECT gv_upsert_batch('c_dot', array_agg(md5(i::text)::uuid::text ORDER BY i),
         array_agg(ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 8) WHERE i > 0) ORDER BY i))
  FROM generate_series(1, 600) i;
-- All three kinds in one collection.
SELECT gv_upsert_batch('c_l1', array_agg(CASE i % 3 WHEN 0 THEN i::text WHEN 1 THEN md5(i::text)::uuid::text
                                                    ELSE 'p' || i END ORDER BY i),
         array_agg(ARRAY(SELECT (random() * 10)::real FROM generate_series(1, 8) WHERE i > 0) ORDER BY i),
         array_agg(jsonb_build_object('i', i) ORDER BY i))
  FROM generate_series(1, 900) i;
CREATE FOREIGN TABLE ft_cos (id text, vector real[], payload jsonb, tag text OPTIONS (payload_key 'tag'),
                             n int OPTIONS (payload_key 'n'))
  SERVER govector OPTIONS (collection 'c_cos');
CREATE SCHEMA app;
CREATE FOREIGN TABLE app.ft_l2 (id text, n bigint OPTIONS (payload_key 'n')) SERVER govector OPTIONS (collection 'c_l2');
EOF
}

# What must come back: every gv_dump row (definitions and points), top-10 answers (HNSW and exact) for 5 queries
# a collection, filtered counts on each indexed field, the foreign tables' and the table's rows.
dump_fingerprint() {  # dump_fingerprint PSQL DB
  local psql=$1 db=$2
  "$psql" "$db" <<'EOF'
SELECT 'rows ' || count(*) || ' ' || md5(string_agg(concat_ws('|', collection, definition, id, vector, payload), E'\n'))
  FROM gv_dump;
SELECT 'definition ' || collection || ' ' || definition FROM gv_dump WHERE definition IS NOT NULL ORDER BY 1;
SELECT 'count ' || name || ' ' || gv_count(name) FROM gv_collections() ORDER BY name;
SELECT 'search ' || c.name || ' ' || q.id || ' ' ||
       (SELECT string_agg(r.id || '=' || r.score, ',') FROM gv_search(c.name, q.vector, 10, ef => 400) r) || ' / ' ||
       (SELECT string_agg(r.id || '=' || r.score, ',') FROM gv_search(c.name, q.vector, 10, exact => true) r)
  FROM gv_collections() c, LATERAL (SELECT id, vector FROM gv_scroll(c.name, NULL, 5)) q ORDER BY c.name, q.id;
SELECT 'filtered ' || f || ' ' || gv_count('c_cos', f::jsonb) FROM (VALUES
  ('{"must": [{"key": "tag", "match": {"value": "t3"}}]}'),
  ('{"must": [{"key": "n", "range": {"gte": 100, "lt": 200}}]}'),
  ('{"must": [{"key": "x", "range": {"gt": 50.5}}]}'),
  ('{"must": [{"key": "ok", "match": {"value": true}}]}'),
  ('{"must": [{"key": "at", "range": {"gte": "2026-01-02T00:00:00Z"}}]}')) v(f) ORDER BY 1;
SELECT 'ft_cos ' || count(*) || ' ' || md5(string_agg(concat_ws('|', id, vector, payload, tag, n), E'\n' ORDER BY id)) FROM ft_cos;
SELECT 'ft_l2 ' || count(*) || ' ' || md5(string_agg(concat_ws('|', id, n), E'\n' ORDER BY id)) FROM app.ft_l2;
SELECT 'orders ' || count(*) || ' ' || md5(string_agg(concat_ws('|', id, doc, note), E'\n' ORDER BY id)) FROM orders;
EOF
}

dump_compare() {  # dump_compare WHAT PSQL DB
  local what=$1 got
  got=$(dump_fingerprint "$2" "$3" 2>&1)
  if [ "$got" = "$DUMP_EXPECTED" ]; then
    pass "$what: collections, settings, points, top-10 answers, foreign tables and tables as dumped"
  else
    fail "$what: the restored database differs: $(diff <(echo "$DUMP_EXPECTED") <(echo "$got") | head -8)"
  fi
}

scenario_dump_restore() {
  cluster_init dumps
  cluster_start
  q -c "CREATE DATABASE app" >/dev/null
  dump_load
  DUMP_EXPECTED=$(dump_fingerprint qdb app 2>&1)
  local points
  points=$(echo "$DUMP_EXPECTED" | grep -c '^search ')
  if [ "$points" = 20 ] && [ "$(echo "$DUMP_EXPECTED" | grep -c '^definition ')" = 4 ]; then
    pass "source: 4 collections, 20 searches to compare"
  else
    fail "source fingerprint incomplete: $(echo "$DUMP_EXPECTED" | head -5)"
  fi

  local dir=$CL_DIR/dumps
  as_pg mkdir -p "$dir"
  as_pg "$PG_BINDIR/pg_dump" -h "$CL_DIR" -p "$CL_PORT" -U postgres -f "$dir/app.sql" app
  as_pg "$PG_BINDIR/pg_dump" -h "$CL_DIR" -p "$CL_PORT" -U postgres -Fc -f "$dir/app.dump" app
  as_pg "$PG_BINDIR/pg_dumpall" -h "$CL_DIR" -p "$CL_PORT" -U postgres -f "$dir/all.sql"
  if grep -q '^COPY public.gv_dump ' "$dir/app.sql"; then pass "plain pg_dump carries gv_dump's rows"; else fail "no gv_dump data in the plain dump"; fi

  # The same cluster, new databases.
  q -c "CREATE DATABASE app_plain" -c "CREATE DATABASE app_fc" -c "CREATE DATABASE app_j" >/dev/null
  if qdb app_plain -1 -f "$dir/app.sql" >"$dir/plain.log" 2>&1; then
    dump_compare "psql -1 -v ON_ERROR_STOP=1 of a plain dump, same cluster" qdb app_plain
  else
    fail "psql -1 of the plain dump failed: $(grep -m3 ERROR "$dir/plain.log")"
  fi
  if as_pg "$PG_BINDIR/pg_restore" -h "$CL_DIR" -p "$CL_PORT" -U postgres --exit-on-error -d app_fc "$dir/app.dump" 2>"$dir/fc.log"; then
    dump_compare "pg_restore of -Fc, same cluster" qdb app_fc
  else
    fail "pg_restore failed: $(head -3 "$dir/fc.log")"
  fi
  if as_pg "$PG_BINDIR/pg_restore" -h "$CL_DIR" -p "$CL_PORT" -U postgres --exit-on-error -j 2 -d app_j "$dir/app.dump" 2>"$dir/j.log"; then
    dump_compare "pg_restore -j 2 of -Fc, same cluster" qdb app_j
  else
    fail "pg_restore -j 2 failed: $(head -3 "$dir/j.log")"
  fi
  # With --include-foreign-data=govector the foreign tables' rows come too: refused (they would write the
  # points again), with a hint to dump without it; psql -1 restores nothing.
  as_pg "$PG_BINDIR/pg_dump" -h "$CL_DIR" -p "$CL_PORT" -U postgres --include-foreign-data=govector -f "$dir/fd.sql" app
  q -c "CREATE DATABASE app_fd" >/dev/null
  if ! qdb app_fd -1 -f "$dir/fd.sql" >"$dir/fd.log" 2>&1 && grep -q "HINT:  Dump without --include-foreign-data=govector" "$dir/fd.log" &&
    [ "$(qdb app_fd -c "SELECT count(*) FROM pg_extension WHERE extname = 'govector'")" = 0 ]; then
    pass "--include-foreign-data=govector: refused with a hint to dump without it, nothing restored"
  else
    fail "--include-foreign-data=govector: $(grep -m2 -A2 ERROR "$dir/fd.log")"
  fi
  q -c "DROP DATABASE app_fd" >/dev/null
  # A restore is a write like any other: a restored collection is its database's, and durable.
  [ "$(qdb app -c "SELECT gv_engine_status()->'cluster'->>'collections'")" = 16 ] && pass "4 databases of 4 collections each" ||
    fail "the engine has $(qdb app -c "SELECT gv_engine_status()->'cluster'->>'collections'") collections, expected 16"

  # A new cluster: pg_dumpall, then the database dumps.
  DN_DIR=$SYS_ROOT/dumps_new
  rm -rf "$DN_DIR"
  pg_dir "$DN_DIR"
  DN_PORT=$(free_port 56000)
  as_pg "$PG_BINDIR/initdb" -D "$DN_DIR/data" -A trust -U postgres >/dev/null
  {
    echo "port = $DN_PORT"
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$DN_DIR'"
    echo "max_worker_processes = 16"
    echo "shared_preload_libraries = 'govector'"
  } | as_pg tee -a "$DN_DIR/data/postgresql.conf" >/dev/null
  as_pg "$PG_BINDIR/pg_ctl" -D "$DN_DIR/data" -l "$DN_DIR/server.log" -w -t 60 start >/dev/null
  # As pg_dumpall's output is meant to be run: psql -f, where the one error is that role postgres exists.
  as_pg "$PG_BINDIR/psql" -h "$DN_DIR" -p "$DN_PORT" -U postgres -d postgres -X -q -f "$dir/all.sql" >"$dir/all.log" 2>&1
  if ! grep ERROR "$dir/all.log" | grep -qv 'role "postgres" already exists'; then
    dump_compare "pg_dumpall into a new cluster" qn app
  else
    fail "restoring pg_dumpall failed: $(grep ERROR "$dir/all.log" | grep -v 'role "postgres"' | head -3)"
  fi
  qn postgres -c "CREATE DATABASE app_plain" -c "CREATE DATABASE app_fc" >/dev/null
  if qn app_plain -1 -f "$dir/app.sql" >"$dir/plain2.log" 2>&1; then
    dump_compare "psql -1 of a plain dump, new cluster" qn app_plain
  else
    fail "psql -1 into the new cluster failed: $(grep -m3 ERROR "$dir/plain2.log")"
  fi
  if as_pg "$PG_BINDIR/pg_restore" -h "$DN_DIR" -p "$DN_PORT" -U postgres --exit-on-error -d app_fc "$dir/app.dump" 2>"$dir/fc2.log"; then
    dump_compare "pg_restore of -Fc, new cluster" qn app_fc
  else
    fail "pg_restore into the new cluster failed: $(head -3 "$dir/fc2.log")"
  fi
  # Restored points are durable: the new cluster restarted (immediate stop: from WAL) still has them.
  as_pg "$PG_BINDIR/pg_ctl" -D "$DN_DIR/data" -m immediate -w stop >/dev/null
  as_pg "$PG_BINDIR/pg_ctl" -D "$DN_DIR/data" -l "$DN_DIR/server.log" -w -t 60 start >/dev/null
  wait_for 30 qn app_fc -c "SELECT gv_count('c_cos')"
  dump_compare "after a crash of the new cluster" qn app_fc
  # A dump of a restored database is the same dump (the rows' order and text are stable).
  if as_pg "$PG_BINDIR/pg_dump" -h "$DN_DIR" -p "$DN_PORT" -U postgres app_fc | grep -v '^\\\(un\)\?restrict ' >"$dir/again.sql" &&
    diff -q <(grep -v '^\\\(un\)\?restrict ' "$dir/app.sql") "$dir/again.sql" >/dev/null; then
    pass "a dump of the restored database is the same as the original dump"
  else
    fail "the dump of the restored database differs: $(diff <(grep -v '^\\\(un\)\?restrict ' "$dir/app.sql") "$dir/again.sql" | head -6)"
  fi
  as_pg "$PG_BINDIR/pg_ctl" -D "$DN_DIR/data" -m fast -w stop >/dev/null
  cluster_stop fast
}

dumps_cleanup() {
  if [ -n "${DN_DIR:-}" ] && [ -f "$DN_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$DN_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

# Coexistence with pgvector (sourced by run.sh). pgvector is not a Debian 12 package, so on most machines this
# scenario says that it skipped; where pgvector is installed (built by hand: see the README's Tests) it checks
# that installing govector, before or after pgvector, changes no pgvector query: the same plans, the same
# answers, and what was an error stays an error. One form of expression does change, by design, and is
# checked on its own: an array on the left of a pgvector vector (an error before) is govector's operator with
# the vector cast to real[], so that ORDER BY vector <-> $1 on a foreign table's real[] column takes a pgvector
# vector as $1. Then govector foreign tables with vector / halfvec columns.

# The queries a pgvector user runs, each on one line: their plans (EXPLAIN) and answers are compared.
pgv_queries() {
  cat <<'EOF'
SELECT id FROM pgv ORDER BY embedding <-> '[1,2,3]' LIMIT 5
SELECT id FROM pgv ORDER BY embedding <=> '[1,2,3]' LIMIT 5
SELECT id FROM pgv ORDER BY embedding <#> '[1,2,3]' LIMIT 5
SELECT id FROM pgv ORDER BY embedding <+> '[1,2,3]' LIMIT 5
SELECT id FROM pgv ORDER BY embedding <-> '[1,2,3]'::vector LIMIT 5
SELECT id FROM pgv ORDER BY embedding <-> '{1,2,3}'::real[] LIMIT 5
SELECT id FROM pgv ORDER BY embedding <-> ARRAY[1,2,3] LIMIT 5
SELECT id FROM pgv ORDER BY embedding <-> ARRAY[1.5,2,3] LIMIT 5
SELECT id FROM pgv ORDER BY embedding <-> '{1,2,3}'::float8[] LIMIT 5
SELECT id FROM pgv ORDER BY embedding <=> '{1,2,3}'::real[] LIMIT 5
SELECT id FROM pgv ORDER BY embedding <-> '{1,2,3}'::real[]::vector LIMIT 5
SELECT id FROM pgh ORDER BY embedding <-> '[1,2,3]' LIMIT 5
SELECT id FROM pgh ORDER BY embedding <-> '{1,2,3}'::real[] LIMIT 5
SELECT id, round((embedding <-> '[1,2,3]')::numeric, 6) FROM pgv ORDER BY id LIMIT 3
SELECT id, round((embedding <-> '[1,2,3]')::numeric, 6) FROM pgh ORDER BY id LIMIT 3
SELECT embedding::real[] FROM pgv ORDER BY id LIMIT 2
SELECT l2_distance(embedding, '[1,2,3]') FROM pgv ORDER BY id LIMIT 2
EOF
}

# pgv_snapshot DB OUT: every query's plan (and answer, in id order), or "ERROR" (the message may differ: an error that
# "operator does not exist" before govector may be one that "is not unique" after it, and stays an error).
pgv_snapshot() {
  local db=$1 out=$2 query
  : >"$out"
  while IFS= read -r query; do
    {
      echo "== $query"
      # The answers of index scans are compared only by their plans: each database builds its own HNSW
      # graph, whose approximate answers may differ in ties. Queries in id order are compared by answer.
      local stmts=("SET enable_seqscan = off; EXPLAIN (COSTS OFF) $query")
      case $query in *"ORDER BY id"*) stmts+=("$query") ;; esac
      for stmt in "${stmts[@]}"; do
        if r=$(as_pg "$PG_BINDIR/psql" -h "$CL_DIR" -p "$CL_PORT" -U postgres -d "$db" -X -q -t -A \
               -v ON_ERROR_STOP=1 -c "$stmt" 2>&1); then
          echo "$r"
        else
          echo "ERROR"
        fi
      done
    } >>"$out"
  done < <(pgv_queries)
}

pgv_tables() {  # pgv_tables DB: a pgvector table of each type, with HNSW indexes
  as_pg "$PG_BINDIR/psql" -h "$CL_DIR" -p "$CL_PORT" -U postgres -d "$1" -X -q -v ON_ERROR_STOP=1 <<'EOF' >/dev/null
CREATE TABLE pgv (id int PRIMARY KEY, embedding vector(3));
INSERT INTO pgv SELECT i, ARRAY[i % 7, i % 11, i % 13 + 1]::real[]::vector FROM generate_series(1, 2000) i;
CREATE INDEX ON pgv USING hnsw (embedding vector_l2_ops);
CREATE INDEX ON pgv USING hnsw (embedding vector_cosine_ops);
CREATE INDEX ON pgv USING hnsw (embedding vector_ip_ops);
CREATE INDEX ON pgv USING hnsw (embedding vector_l1_ops);
CREATE TABLE pgh (id int PRIMARY KEY, embedding halfvec(3));
INSERT INTO pgh SELECT id, embedding FROM pgv;
CREATE INDEX ON pgh USING hnsw (embedding halfvec_l2_ops);
ANALYZE pgv, pgh;
EOF
}

scenario_pgvector_coexistence() {
  cluster_init pgvector
  cluster_start
  if [ "$(q -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")" != 1 ]; then
    log "SKIPPED: pgvector is not installed on this machine (it is not a Debian 12 package), so the coexistence" \
        "checks did not run; build and install pgvector, then: bash test/system/run.sh pgvector_coexistence"
    cluster_stop fast
    return
  fi
  local d=$CL_DIR
  # Baseline: pgvector alone.
  q -c "CREATE DATABASE base" -c "CREATE DATABASE after_gv" -c "CREATE DATABASE gv_first" >/dev/null
  for db in base after_gv; do
    as_pg "$PG_BINDIR/psql" -h "$d" -p "$CL_PORT" -U postgres -d "$db" -X -q -c "CREATE EXTENSION vector" >/dev/null
    pgv_tables "$db"
  done
  as_pg "$PG_BINDIR/psql" -h "$d" -p "$CL_PORT" -U postgres -d gv_first -X -q \
    -c "CREATE EXTENSION govector" -c "CREATE EXTENSION vector" >/dev/null
  pgv_tables gv_first
  pgv_snapshot base "$d/base.txt"
  as_pg "$PG_BINDIR/psql" -h "$d" -p "$CL_PORT" -U postgres -d after_gv -X -q -c "CREATE EXTENSION govector" >/dev/null
  pgv_snapshot after_gv "$d/after_gv.txt"
  pgv_snapshot gv_first "$d/gv_first.txt"
  grep -q "Index Scan using pgv_embedding_idx" "$d/base.txt" && pass "baseline: pgvector's queries use its HNSW indexes" ||
    fail "baseline: no HNSW index scan in $d/base.txt"
  grep -q "^ERROR" "$d/base.txt" && pass "baseline: some of the queries are errors with pgvector alone" ||
    fail "baseline: expected errors (real[] operands) in $d/base.txt"
  for db in after_gv gv_first; do
    if diff -u "$d/base.txt" "$d/$db.txt" >"$d/$db.diff"; then
      pass "$db: every pgvector query has the same plan and answer, and every error stays an error"
    else
      fail "$db: pgvector queries changed with govector installed:"; cat "$d/$db.diff"
    fi
  done
  # The one change: an array on the left of a vector, an error with pgvector alone, is govector's distance.
  local rev="SELECT round(('{1,2,3}'::real[] <-> embedding)::numeric, 6) FROM pgv WHERE id = 5"
  if ! as_pg "$PG_BINDIR/psql" -h "$d" -p "$CL_PORT" -U postgres -d base -X -q -c "$rev" >/dev/null 2>&1 &&
     [ "$(as_pg "$PG_BINDIR/psql" -h "$d" -p "$CL_PORT" -U postgres -d after_gv -X -q -t -A -c "$rev")" = \
       "$(as_pg "$PG_BINDIR/psql" -h "$d" -p "$CL_PORT" -U postgres -d base -X -q -t -A \
          -c "SELECT round(('[1,2,3]'::vector <-> embedding)::numeric, 6) FROM pgv WHERE id = 5")" ]; then
    pass "real[] <-> vector: an error without govector, pgvector's own L2 distance with it (the one change)"
  else
    fail "real[] <-> vector did not change as documented"
  fi

  # govector foreign tables whose vector column is pgvector's vector or halfvec: ORDER BY with pgvector's
  # operators is one engine search, and a migration from a pgvector table reads back identical vectors.
  local out
  out=$(as_pg "$PG_BINDIR/psql" -h "$d" -p "$CL_PORT" -U postgres -d after_gv -X -q -t -A -v ON_ERROR_STOP=1 <<'EOF' 2>&1
SELECT gv_create_collection('mig', 3, 'euclid');
CREATE FOREIGN TABLE mig (id text, vector vector(3), payload jsonb) SERVER govector OPTIONS (collection 'mig');
CREATE FOREIGN TABLE mig_h (id text, vector halfvec(3)) SERVER govector OPTIONS (collection 'mig');
CREATE FOREIGN TABLE mig_r (id text, vector real[]) SERVER govector OPTIONS (collection 'mig');
INSERT INTO mig SELECT id::text, embedding, jsonb_build_object('n', id) FROM pgv;
SELECT 'count', count(*) FROM mig;
SELECT 'identical', count(*) FROM pgv p JOIN mig m ON m.id = p.id::text WHERE m.vector = p.embedding;
SELECT gv_create_collection('mig_cos', 3, 'cosine');
CREATE FOREIGN TABLE mig_cos (id text, vector vector(3)) SERVER govector OPTIONS (collection 'mig_cos');
INSERT INTO mig_cos SELECT id::text, embedding FROM pgv;
SELECT 'identical_cosine', count(*) FROM pgv p JOIN mig_cos m ON m.id = p.id::text WHERE m.vector = p.embedding;
EXPLAIN (COSTS OFF) SELECT id FROM mig_cos ORDER BY vector <=> '[1,2,3]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM mig ORDER BY vector <-> '[1,2,3]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM mig_h ORDER BY vector <-> '[1,2,3]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM mig_r ORDER BY vector <-> '[1,2,3]'::vector LIMIT 5;
SELECT 'same_answer', (SELECT array_agg(id ORDER BY d, id) FROM (SELECT id, vector <-> '[1,2,3]' d FROM mig
                        ORDER BY vector <-> '[1,2,3]' LIMIT 5) s)
  = (SELECT array_agg(id::text ORDER BY d, id::text) FROM (SELECT id, embedding <-> '[1,2,3]' d FROM pgv
                        ORDER BY embedding <-> '[1,2,3]', id LIMIT 5) s);
SELECT 'upsert', gv_upsert('mig', 'v', '[4,5,6]'::vector) > 0, gv_upsert('mig', 'h', '[4,5,6]'::halfvec::real[]) > 0;
SELECT 'search', count(*) FROM gv_search('mig', '[4,5,6]'::vector, 3);
SELECT 'read', vector FROM mig_h WHERE id = 'v';
EOF
)
  echo "$out" | grep -q "^count|2000$" && pass "INSERT INTO ft SELECT ... FROM a pgvector table writes every row" ||
    fail "migration: $out"
  echo "$out" | grep -q "^identical|2000$" && pass "every migrated vector reads back identical, as vector" ||
    fail "migrated vectors differ: $(echo "$out" | grep identical)"
  echo "$out" | grep -q "^identical_cosine|2000$" && pass "also into a cosine collection (it keeps vectors as written)" ||
    fail "cosine migration differs: $(echo "$out" | grep identical_cosine)"
  echo "$out" | grep -q "Engine Search: vector <=> (value) (cosine)" && pass "ORDER BY vector <=> q on the cosine one is an engine search" ||
    fail "cosine not accelerated: $out"
  [ "$(echo "$out" | grep -c "Engine Search: vector <-> (value) (euclid)")" = 3 ] &&
    pass "ORDER BY on vector, halfvec and real[] columns with a pgvector vector operand is one engine search" ||
    fail "not accelerated: $out"
  echo "$out" | grep -q "^same_answer|t$" && pass "the engine's nearest points are pgvector's exact ones" ||
    fail "answers differ: $(echo "$out" | grep same_answer)"
  echo "$out" | grep -q "^upsert|t|t$" && echo "$out" | grep -q "^search|3$" && echo "$out" | grep -q "^read|\[4,5,6\]$" &&
    pass "gv_upsert and gv_search take pgvector's vector; a halfvec column reads it back" ||
    fail "gv_* with vector: $out"
  cluster_stop fast
}

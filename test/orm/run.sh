#!/usr/bin/env bash
# ORMs over a govector foreign table (make orm-test): SQLAlchemy and Django, Debian's packages with psycopg2,
# and node-postgres (npm's pg),
# on a cluster this script starts under build/system/orm. Debian's own python3 runs them (not a pyenv one).
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/system/lib.sh
trap cluster_cleanup EXIT
PY=/usr/bin/python3
cluster_init orm
cluster_start
q -c "CREATE EXTENSION govector" -c "SELECT gv_create_collection('orm_docs', 3, 'euclid')" \
  -c "CREATE FOREIGN TABLE orm_docs (id text, vector real[], payload jsonb, category text OPTIONS (payload_key 'category'),
                                     version bigint) SERVER govector OPTIONS (collection 'orm_docs')" \
  -c "SELECT gv_create_collection('orm_docs8', 3, 'euclid')" \
  -c "CREATE FOREIGN TABLE orm_docs8 (id text, vector double precision[], payload jsonb, version bigint)
        SERVER govector OPTIONS (collection 'orm_docs8')" >/dev/null
export GV_HOST=$CL_DIR GV_PORT=$CL_PORT GV_DB=postgres
export GV_SQLALCHEMY_URL="postgresql+psycopg2://postgres@/postgres?host=$CL_DIR&port=$CL_PORT"
status=0
for t in sqlalchemy_test django_test; do
  if as_pg env GV_HOST="$GV_HOST" GV_PORT="$GV_PORT" GV_DB="$GV_DB" GV_SQLALCHEMY_URL="$GV_SQLALCHEMY_URL" \
      $PY "test/orm/$t.py" >"$CL_DIR/$t.log" 2>&1; then
    log "ok: $t ($(grep -c ' ... ok$' "$CL_DIR/$t.log") tests)"
  else
    log "FAIL: $t"; cat "$CL_DIR/$t.log"; status=1
  fi
done
# node-postgres: its package is installed by `npm ci` in test/orm/node (.ci/run does it).
if [ -d test/orm/node/node_modules/pg ]; then
  if (cd test/orm/node && env GV_HOST="$GV_HOST" GV_PORT="$GV_PORT" GV_DB="$GV_DB" \
        node --test --test-concurrency=1 >"$CL_DIR/node_pg.log" 2>&1); then
    log "ok: node_pg ($(grep -c '^ok ' "$CL_DIR/node_pg.log") tests)"
  else
    log "FAIL: node_pg"; cat "$CL_DIR/node_pg.log"; status=1
  fi
else
  log "FAIL: node_pg: test/orm/node has no node_modules (run npm ci there)"; status=1
fi
cluster_stop fast
exit $status

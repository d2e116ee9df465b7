#!/usr/bin/env bash
# ORMs over a govector foreign table (make orm-test): SQLAlchemy and Django, Debian's packages with psycopg2,
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
                                     version bigint) SERVER govector OPTIONS (collection 'orm_docs')" >/dev/null
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
cluster_stop fast
exit $status

# Helpers for the whole-system tests: each test gets its own cluster (data directory and port) under
# build/system/<name>, started and stopped by the test itself.
. "$(dirname "${BASH_SOURCE[0]}")/../pg_env.sh"

SYS_ROOT=${SYS_ROOT:-$PWD/build/system}
FAILURES=0

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
fail() { log "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { log "ok: $*"; }

# cluster_init NAME [postgresql.conf lines...]: sets CL_DIR, CL_PORT, CL_LOG. govector is preloaded.
cluster_init() {
  local name=$1; shift
  CL_DIR=$SYS_ROOT/$name
  rm -rf "$CL_DIR"
  pg_dir "$CL_DIR"
  CL_PORT=$(free_port 53000)
  CL_LOG=$CL_DIR/server.log
  as_pg "$PG_BINDIR/initdb" -D "$CL_DIR/data" -A trust -U postgres >/dev/null
  {
    echo "port = $CL_PORT"
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$CL_DIR'"
    echo "max_connections = 40"
    echo "max_worker_processes = 16"
    echo "shared_preload_libraries = 'govector'"
    for line in "$@"; do echo "$line"; done
  } | as_pg tee -a "$CL_DIR/data/postgresql.conf" >/dev/null
}

cluster_start() { as_pg "$PG_BINDIR/pg_ctl" -D "$CL_DIR/data" -l "$CL_LOG" -w -t 60 start >/dev/null; }
cluster_stop() { as_pg "$PG_BINDIR/pg_ctl" -D "$CL_DIR/data" -m "${1:-fast}" -w -t 60 stop >/dev/null; }

# psql against the test cluster; extra arguments go to psql.
q() { as_pg "$PG_BINDIR/psql" -h "$CL_DIR" -p "$CL_PORT" -U postgres -d postgres -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

pgbench_run() { as_pg "$PG_BINDIR/pgbench" -h "$CL_DIR" -p "$CL_PORT" -U postgres "$@"; }

engine_pid() {
  local f=$CL_DIR/data/govector/govectord.lock
  [ -f "$f" ] && head -c 20 "$f" | tr -dc 0-9
}

postmaster_pid() { head -1 "$CL_DIR/data/postmaster.pid"; }

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

pid_alive() { kill -0 "$1" 2>/dev/null; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# The engine serving the test cluster, once it answers.
engine_answers() { q -c "SELECT (gv_engine_status()->>'pid')" ; }

cluster_cleanup() {
  if [ -n "${CL_DIR:-}" ] && [ -f "$CL_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$CL_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

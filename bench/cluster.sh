# A throwaway Postgres cluster for benchmarks, under build/<name>, with govector preloaded.
#   . bench/cluster.sh; bench_cluster_start NAME   -> BC_DIR, BC_PORT, BC_CONNINFO, BC_HTTP_URL; stopped on exit
. "$(dirname "${BASH_SOURCE[0]}")/../test/pg_env.sh"

bench_cluster_start() {
  BC_DIR=$PWD/build/$1
  if [ -f "$BC_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BINDIR/pg_ctl" -D "$BC_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$BC_DIR"
  pg_dir "$BC_DIR"
  BC_PORT=$(free_port 55000)
  BC_HTTP_PORT=$(free_port 56000)
  as_pg "$PG_BINDIR/initdb" -D "$BC_DIR/data" -A trust -U postgres >/dev/null
  cat <<CONF | as_pg tee -a "$BC_DIR/data/postgresql.conf" >/dev/null
port = $BC_PORT
listen_addresses = ''
unix_socket_directories = '$BC_DIR'
shared_preload_libraries = 'govector'
govector.http_port = $BC_HTTP_PORT
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
CONF
  as_pg "$PG_BINDIR/pg_ctl" -D "$BC_DIR/data" -l "$BC_DIR/server.log" -w start >/dev/null
  trap bench_cluster_stop EXIT
  BC_CONNINFO="host=$BC_DIR port=$BC_PORT user=postgres dbname=postgres"
  BC_HTTP_URL="http://127.0.0.1:$BC_HTTP_PORT"
}

bench_cluster_stop() {
  as_pg "$PG_BINDIR/pg_ctl" -D "$BC_DIR/data" -m fast stop >/dev/null 2>&1 || true
}

bench_sql() { as_pg "$PG_BINDIR/psql" -h "$BC_DIR" -p "$BC_PORT" -U postgres -d postgres -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

# Shared by the test scripts that run a Postgres cluster: where the binaries are, and how to run a command as
# the cluster's OS user (postgres when the tests run as root, as CI does; the current user otherwise).
PG_BINDIR=$(pg_config --bindir)

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Makes a directory the cluster's user can write.
pg_dir() {
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$1"; fi
}

# A TCP port nobody listens on, from a range per caller.
free_port() {
  local base=$1 p
  for _ in $(seq 1 200); do
    p=$((base + RANDOM % 1000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port near $base" >&2
  return 1
}

#!/usr/bin/env bash
# Load speed, before and after: the 60,000 x 784 Fashion-MNIST load of the README's Performance section
# (gv_upsert_batch, 1,000 per call, in one statement; and COPY into a foreign table), timed for this tree and
# for an earlier commit of govector, on two clusters of the machine's PostgreSQL 15 started side by side, in
# alternating rounds (these machines are noisy: compare within one run). Each variant gets its own copy of the
# PostgreSQL installation under build/ab/, so nothing is installed into the system's.
#   bash bench/load_ab.sh [BASE_COMMIT] [ROUNDS]      (default: 27b6004, the first wave's last commit; 3)
# Prints, per method, the median seconds of each variant (statement until COMMIT has returned, and until
# every vector is in the graph) and the ratio this tree / base.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pg_env.sh
base=${1:-27b6004}
rounds=${2:-3}
AB=$PWD/build/ab
mkdir -p "$AB"

# install_variant NAME SRC_DIR: a private copy of PostgreSQL 15 with SRC_DIR's govector installed into it.
install_variant() {
  local name=$1 src=$2 root=$AB/$1
  rm -rf "$root"
  mkdir -p "$root/lib/postgresql" "$root/share/postgresql"
  cp -a /usr/lib/postgresql/15 "$root/lib/postgresql/"
  cp -a /usr/share/postgresql/15 "$root/share/postgresql/"
  cp "$src/govector.so" "$root/lib/postgresql/15/lib/"
  cp "$src/build/govectord" "$root/lib/postgresql/15/bin/"
  cp "$src"/govector.control "$src"/sql/govector--*.sql "$root/share/postgresql/15/extension/"
  chmod -R a+rX "$root"
}

if [ ! -x "$AB/base-src/build/govectord" ] || [ "$(git -C "$AB/base-src" rev-parse HEAD 2>/dev/null)" != "$(git rev-parse "$base")" ]; then
  rm -rf "$AB/base-src"
  git worktree prune
  git worktree add -f --detach "$AB/base-src" "$base" >/dev/null
  echo "== building $base"
  make -C "$AB/base-src" -j"$(nproc)" >/dev/null
fi
echo "== building this tree"
make -j"$(nproc)" >/dev/null
make build/fmnist_export >/dev/null
install_variant base "$AB/base-src"
install_variant new "$PWD"

export_dir=$AB/data
pg_dir "$export_dir"
build/fmnist_export train | as_pg tee "$export_dir/train.tsv" >/dev/null
cut -f1,3 "$export_dir/train.tsv" | as_pg tee "$export_dir/copy.tsv" >/dev/null

start_cluster() {  # start_cluster NAME: sets PORT_<NAME>
  local name=$1 bin=$AB/$1/lib/postgresql/15/bin dir=$AB/$1-cluster port
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  pg_dir "$dir"
  port=$(free_port 58000)
  as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  cat <<CONF | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
shared_preload_libraries = 'govector'
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
CONF
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
  eval "PORT_$name=$port"
}

stop_clusters() {
  for name in base new; do
    as_pg "$AB/$name/lib/postgresql/15/bin/pg_ctl" -D "$AB/$name-cluster/data" -m fast stop >/dev/null 2>&1 || true
  done
}
trap stop_clusters EXIT

sql() {  # sql NAME ARGS...
  local name=$1; shift
  local port_var=PORT_$name
  as_pg "$AB/$name/lib/postgresql/15/bin/psql" -h "$AB/$name-cluster" -p "${!port_var}" -U postgres -d postgres \
    -X -q -t -A -v ON_ERROR_STOP=1 "$@"
}

now() { date +%s.%N; }

wait_green() {  # wait_green NAME COLLECTION
  until [ "$(sql "$1" -c "SELECT gv_collection_info('$2')->>'status'")" = green ]; do sleep 0.05; done
}

for v in base new; do
  start_cluster $v
  sql $v -c "CREATE EXTENSION govector" \
    -c "CREATE TABLE src (id int PRIMARY KEY, label int, image real[])" \
    -c "\\copy src FROM '$export_dir/train.tsv'" -c "VACUUM ANALYZE src" >/dev/null
done

declare -A times
run_one() {  # run_one VARIANT ROUND
  local v=$1 r=$2 t0 t1 t2
  sql $v -c "SELECT gv_drop_collection('b', true)" -c "SELECT gv_create_collection('b', 784, 'euclid')" >/dev/null
  t0=$(now)
  sql $v -c "SELECT sum(gv_upsert_batch('b', ids, vectors)) FROM (SELECT array_agg(id::text ORDER BY id) ids,
               array_agg(image ORDER BY id) vectors FROM src GROUP BY (id - 1) / 1000) s" >/dev/null
  t1=$(now)
  wait_green $v b
  t2=$(now)
  times[$v,batch,$r]=$(echo "$t1 - $t0" | bc)
  times[$v,batch_total,$r]=$(echo "$t2 - $t0" | bc)
  sql $v -c "DROP FOREIGN TABLE IF EXISTS cft" -c "SELECT gv_drop_collection('c', true)" \
    -c "SELECT gv_create_collection('c', 784, 'euclid')" \
    -c "CREATE FOREIGN TABLE cft (id text, vector real[]) SERVER govector OPTIONS (collection 'c')" >/dev/null
  t0=$(now)
  sql $v -c "\\copy cft (id, vector) FROM '$export_dir/copy.tsv'" >/dev/null
  t1=$(now)
  wait_green $v c
  t2=$(now)
  times[$v,copy,$r]=$(echo "$t1 - $t0" | bc)
  times[$v,copy_total,$r]=$(echo "$t2 - $t0" | bc)
  [ "$(sql $v -c "SELECT gv_count('b') || ' ' || gv_count('c')")" = "60000 60000" ] ||
    { echo "$v: a load lost points" >&2; exit 1; }
  echo "round $r $v: batch ${times[$v,batch,$r]} s (${times[$v,batch_total,$r]} s indexed), copy ${times[$v,copy,$r]} s (${times[$v,copy_total,$r]} s indexed)"
}

for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then run_one base "$r"; run_one new "$r"; else run_one new "$r"; run_one base "$r"; fi
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo
echo "median of $rounds rounds, 60,000 x 784; base = $base ($(git log -1 --format=%cs "$base")), new = $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')"
printf '%-44s %10s %10s %12s\n' method base new "new / base"
for m in batch batch_total copy copy_total; do
  b=() n=()
  for r in $(seq 1 "$rounds"); do b+=("${times[base,$m,$r]}"); n+=("${times[new,$m,$r]}"); done
  mb=$(median "${b[@]}") mn=$(median "${n[@]}")
  case $m in
    batch) label="gv_upsert_batch, 1,000 per call (statement)" ;;
    batch_total) label="gv_upsert_batch, then indexed" ;;
    copy) label="COPY into the foreign table (statement)" ;;
    copy_total) label="COPY, then indexed" ;;
  esac
  printf '%-44s %9.2fs %9.2fs %11.2fx\n' "$label" "$mb" "$mn" "$(echo "$mn / $mb" | bc -l)"
done

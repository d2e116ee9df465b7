#!/usr/bin/env bash
# The main job: a local Postgres cluster with govector, the 60,000 Fashion-MNIST training images loaded
# into a collection, and the nearest neighbours of a test image printed with their labels.
# Leaves the cluster running (the last lines say how to connect and how to stop it).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pg_env.sh

dir=$PWD/build/demo
if [ -f "$dir/data/postmaster.pid" ]; then
  as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$dir"
pg_dir "$dir"
port=$(free_port 54000)
as_pg "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
cat <<CONF | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
shared_preload_libraries = 'govector'
CONF
as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
psql_demo() { as_pg "$PG_BINDIR/psql" -h "$dir" -p "$port" -U postgres -d postgres -X -v ON_ERROR_STOP=1 "$@"; }

echo "== Postgres $(pg_config --version | cut -d' ' -f2) on port $port, data in $dir/data"
psql_demo -q <<SQL
CREATE EXTENSION govector;
CREATE TABLE fashion_train (id int PRIMARY KEY, label int, image real[]);
CREATE TABLE fashion_test (id int PRIMARY KEY, label int, image real[]);
\copy fashion_train FROM PROGRAM '$PWD/build/fmnist_export train'
\copy fashion_test FROM PROGRAM '$PWD/build/fmnist_export test 100'
CREATE TABLE labels (label int PRIMARY KEY, name text);
INSERT INTO labels VALUES (0, 'T-shirt/top'), (1, 'Trouser'), (2, 'Pullover'), (3, 'Dress'), (4, 'Coat'),
  (5, 'Sandal'), (6, 'Shirt'), (7, 'Sneaker'), (8, 'Bag'), (9, 'Ankle boot');
SQL
echo "== loading 60,000 images into the collection 'fashion' (784 dimensions, Euclid, HNSW)"
psql_demo <<'SQL'
\timing on
SELECT gv_create_collection('fashion', 784, 'euclid', ef_construct => 64);
SELECT count(gv_upsert('fashion', id::text, image, jsonb_build_object('label', label))) AS loaded
FROM fashion_train;
SQL
echo "== waiting for the HNSW index to take in every vector"
for _ in $(seq 1 600); do
  status=$(psql_demo -t -A -c "SELECT gv_collection_info('fashion')->>'status'")
  [ "$status" = green ] && break
  sleep 1
done
psql_demo -t -A -c "SELECT 'points: ' || (i->>'points') || ', indexed: ' || (i->>'indexed_vectors') || ', index memory: ' || pg_size_pretty((i->>'index_memory_bytes')::bigint) FROM (SELECT gv_collection_info('fashion') i) s"

echo "== the 10 nearest neighbours of test image #1 (an ankle boot), through gv_search"
psql_demo <<'SQL'
SELECT s.id AS neighbour, round(s.score::numeric, 1) AS distance, l.name AS label
FROM fashion_test t,
     gv_search('fashion', t.image, 10) s
     JOIN labels l ON l.label = (s.payload->>'label')::int
WHERE t.id = 1
ORDER BY s.score;
SQL
echo "== the same, restricted to sandals by a payload filter"
psql_demo <<'SQL'
SELECT s.id AS neighbour, round(s.score::numeric, 1) AS distance, l.name AS label
FROM fashion_test t,
     gv_search('fashion', t.image, 5, '{"label": 5}') s
     JOIN labels l ON l.label = (s.payload->>'label')::int
WHERE t.id = 1
ORDER BY s.score;
SQL
cat <<EOF2
== done. The cluster is still running:
   connect:  $( [ "$(id -u)" = 0 ] && echo "runuser -u postgres -- " )psql -h $dir -p $port -U postgres
   stop:     $( [ "$(id -u)" = 0 ] && echo "runuser -u postgres -- " )$PG_BINDIR/pg_ctl -D $dir/data stop
EOF2

#!/usr/bin/env bash
# The mixed-load soak (make soak; not in CI): SOAK_CLIENTS (16) pgbench clients for SOAK_SECONDS (3600) of
# searches, filtered searches, upserts and deletes (each in one transaction with a ledger row of the same id,
# serialized per id by an advisory lock: a point write is applied at commit whatever the writer's snapshot),
# foreign-table updates and reads, beside two HTTP clients (Qdrant's query and scroll), on a cluster
# the script starts under build/system/soak. At the end it checks the invariants: the ledger's ids are exactly
# the collection's points, every search answered, the engine is the one that started (no crash), and it
# prints the figures (transactions per second by kind, the engine's memory before and after).
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/system/lib.sh
trap cluster_cleanup EXIT
SECONDS_TOTAL=${SOAK_SECONDS:-3600}
CLIENTS=${SOAK_CLIENTS:-16}
DIM=32
HTTP=$(free_port 57000)
cluster_init soak "govector.http_port = $HTTP" "max_connections = 60"
cluster_start
q -c "CREATE EXTENSION govector" >/dev/null
wait_for 30 engine_answers || { fail "the engine does not answer"; exit 1; }
q \
  -c "SELECT gv_create_collection('soak', $DIM, 'cosine', quantization => 'sq8')" \
  -c "SELECT gv_create_payload_index('soak', 'g', 'integer')" \
  -c "CREATE TABLE ledger (id text PRIMARY KEY)" \
  -c "CREATE FOREIGN TABLE soak_ft (id text, vector real[], g int OPTIONS (payload_key 'g')) SERVER govector OPTIONS (collection 'soak')" >/dev/null
vector_sql="ARRAY(SELECT sin(:id * k + random()) FROM generate_series(1, $DIM) k)::real[]"
# A starting set of 20,000 points (and their ledger rows).
q -c "BEGIN" -c "INSERT INTO ledger SELECT i::text FROM generate_series(1, 20000) i" \
  -c "SELECT gv_upsert_batch('soak', array_agg(i::text), array_agg(ARRAY(SELECT sin(i * k) FROM generate_series(1, $DIM) k)::real[]),
                             array_agg(jsonb_build_object('g', i % 10))) FROM generate_series(1, 20000) i" -c "COMMIT" >/dev/null
dir=$CL_DIR/scripts
as_pg mkdir -p "$dir"
write() { as_pg tee "$dir/$1" >/dev/null; }
write search.sql <<EOF2
\\set id random(1, 40000)
SELECT count(*) FROM gv_search('soak', $vector_sql, 10);
EOF2
write filtered.sql <<EOF2
\\set id random(1, 40000)
\\set g random(0, 9)
SELECT count(*) FROM gv_search('soak', $vector_sql, 10, jsonb_build_object('must', jsonb_build_array(jsonb_build_object('key', 'g', 'match', jsonb_build_object('value', :g)))));
EOF2
write upsert.sql <<EOF2
\\set id random(1, 40000)
BEGIN;
SELECT pg_advisory_xact_lock(:id);
INSERT INTO ledger VALUES (:id::text) ON CONFLICT DO NOTHING;
SELECT gv_upsert('soak', :id::text, $vector_sql, jsonb_build_object('g', :id % 10));
COMMIT;
EOF2
write delete.sql <<EOF2
\\set id random(1, 40000)
BEGIN;
SELECT pg_advisory_xact_lock(:id);
DELETE FROM ledger WHERE id = :id::text;
SELECT gv_delete('soak', ARRAY[:id::text]);
COMMIT;
EOF2
write payload.sql <<EOF2
\\set id random(1, 40000)
UPDATE soak_ft SET g = :id % 10 WHERE id = :id::text;
EOF2
write ft.sql <<EOF2
\\set id random(1, 40000)
SELECT id FROM soak_ft WHERE g = :id % 10 ORDER BY vector <=> $vector_sql LIMIT 5;
EOF2
rss() { ps -o rss= -p "$(engine_pid)" | tr -d ' '; }
epid=$(engine_pid)
rss_before=$(rss)
log "soak: $CLIENTS clients for $SECONDS_TOTAL s (engine pid $epid, ${rss_before} kB)"
http_client() {  # http_client KIND: Qdrant queries or scrolls, until the deadline; prints requests and failures
  local deadline=$((SECONDS + SECONDS_TOTAL)) n=0 bad=0 body
  while [ $SECONDS -lt $deadline ]; do
    if [ "$1" = query ]; then
      body="{\"query\": [$(seq -s, 1 $DIM | sed 's/[0-9]\+/0.5/g')], \"limit\": 10}"
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$HTTP/collections/soak/points/query")
    else
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{"limit": 50}' "http://127.0.0.1:$HTTP/collections/soak/points/scroll")
    fi
    n=$((n + 1)); [ "$code" = 200 ] || { bad=$((bad + 1)); echo "$1 answered $code" >>"$CL_DIR/http_errors"; }
  done
  echo "$1 $n $bad"
}
http_client query >"$CL_DIR/http_query.out" &
http_client scroll >"$CL_DIR/http_scroll.out" &
pgbench_run -n -c "$CLIENTS" -j 2 -T "$SECONDS_TOTAL" -P 60 \
  -f "$dir/search.sql@4" -f "$dir/filtered.sql@2" -f "$dir/upsert.sql@3" -f "$dir/delete.sql@1" \
  -f "$dir/payload.sql@1" -f "$dir/ft.sql@1" postgres >"$CL_DIR/pgbench.out" 2>&1
wait
log "soak: done"
grep -E "^(number of transactions|number of failed|tps|latency average)" "$CL_DIR/pgbench.out" | sed 's/^/  /'
awk '/^SQL script/ {name=$NF; sub(".*/", "", name)} /transactions \(/ && name {tps=$0; sub(".*tps = ", "", tps); sub("\\).*", "", tps)}
     /latency average/ && name {printf "  %-13s %8.1f tps, %6.2f ms average\n", name, tps, $5; name=""}' "$CL_DIR/pgbench.out"
cat "$CL_DIR/http_query.out" "$CL_DIR/http_scroll.out" | while read -r kind n bad; do log "  http $kind: $n requests, $bad failed"; done

# Invariants.
[ "$(engine_pid)" = "$epid" ] && pass "the engine ran the whole soak (pid $epid)" || fail "the engine was replaced (pid $(engine_pid))"
if grep -q "number of failed transactions: 0 " "$CL_DIR/pgbench.out" && ! grep -q "aborted" "$CL_DIR/pgbench.out"; then
  pass "no failed transaction, no client aborted"
else
  fail "failures: $(grep -m3 'number of failed\|aborted' "$CL_DIR/pgbench.out")"
fi
missing=$(q -c "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM gv_get('soak', ARRAY[l.id]))")
ledger=$(q -c "SELECT count(*) FROM ledger")
points=$(q -c "SELECT gv_count('soak')")
if [ "$missing" = 0 ] && [ "$ledger" = "$points" ]; then pass "the ledger's $ledger ids are exactly the collection's points"
else fail "ledger $ledger rows, $points points, $missing ledger ids without a point"; fi
for kind in query scroll; do read -r _ n bad <"$CL_DIR/http_$kind.out"; [ "$bad" = 0 ] && pass "http $kind: $n requests, all 200" || fail "http $kind: $bad of $n failed"; done
log "engine memory: ${rss_before} kB before, $(rss) kB after"
if grep -qE "PANIC|FATAL|terminated by signal|exited with status [1-9]" "$CL_LOG"; then
  fail "crashes in the log: $(grep -m3 -E 'PANIC|FATAL|terminated by signal|exited with status [1-9]' "$CL_LOG")"
else pass "no crash, FATAL or PANIC in the log"; fi
[ -f "$CL_DIR/http_errors" ] && log "http errors: $(sort "$CL_DIR/http_errors" | uniq -c | tr '\n' ';')"
cluster_stop fast
[ "$FAILURES" = 0 ] && log "soak passed" || { log "$FAILURES soak check(s) failed"; exit 1; }

#!/usr/bin/env bash
# clinical_ner on Citus (13.2, built from the vendored source): a coordinator and two workers on
# loopback (scripts/citus.sh), a distributed notes table of MTSamples notes in 8 shards, and checks
# that each can fail:
# - extraction in the select list and in UPDATE runs on the workers (EXPLAIN shows the function in
#   every task's query), and gives the entities a single node gives, row for row; so do aggregates;
# - CALL populate_entities fills the distributed table on the workers, shard by shard, with progress
#   on the coordinator; cancelled, it stops on the workers too and keeps what it wrote; with a worker
#   node stopped (immediate shutdown) during the fill, it fills the other node's shards and ends with an
#   error naming the shards left; called again once the node is back, it completes. Every row ends
#   with the single node's entities, written exactly once (a trigger counts the writes);
# - a reference table is refused with a hint; a distributed partitioned table is filled;
# - with the shared inference worker on each worker node, the Citus connections to a node (several
#   per query) load no model: one model per node, and the same entities.
# Usage: tests/citus/run.sh   (scripts/setup.sh first; the nodes are stopped at the end)
source "$(dirname "$0")/../../scripts/citus.sh"
source "$ROOT/bench/notes.sh"
NOTES=121  # 120 MTSamples notes and one marked note
SHARDS=8
fail() { echo "FAILED: $*" >&2; exit 1; }
trap stop_citus EXIT
coordinator() { on_citus_node 0 "$@"; }
# wait_until DESCRIPTION QUERY: polls the coordinator until QUERY returns t (60 s at most).
wait_until() {
    for _ in $(seq 1 600); do
        [ "$(coordinator -c "$2" 2>/dev/null)" = t ] && return
        sleep 0.1
    done
    fail "timed out waiting until $1"
}
# The entities of every filled row, against the single node's; prints the number of rows that differ.
FILLED_DIFFER="SELECT count(*) FROM notes n JOIN single_node s USING (id)
               WHERE n.entities IS NOT NULL AND n.entities IS DISTINCT FROM s.entities"
POPULATE="CALL populate_entities('notes', 'note', 'entities', 4)"

install_citus
step "a Citus coordinator on port $(citus_node_port 0) and workers on ports $(citus_node_port 1) and $(citus_node_port 2)"
start_citus
notes_csv="$(mktemp)"
write_bench_notes $((NOTES - 1)) "$notes_csv"
coordinator <<SQL
CREATE TABLE single_node_notes (id int PRIMARY KEY, note text);
\copy single_node_notes FROM '$notes_csv' WITH (FORMAT csv, HEADER true)
-- A marked note: the PHI suite checks that no node's server log holds it.
INSERT INTO single_node_notes VALUES (0, 'PHI-MARKER-4417 was started on warfarin for atrial fibrillation.');
-- The single node's answer: a plain table on the coordinator, extracted there.
CREATE TABLE single_node AS SELECT id, extract_entities_json(note) AS entities FROM single_node_notes;
CREATE TABLE notes (id int PRIMARY KEY, note text, entities jsonb, times_filled int NOT NULL DEFAULT 0);
SET citus.shard_count = $SHARDS;
SELECT create_distributed_table('notes', 'id');
INSERT INTO notes (id, note) SELECT id, note FROM single_node_notes;
-- Counts the writes that fill a row, on the shards (Citus creates the function and the trigger there).
CREATE FUNCTION count_fills() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    IF OLD.entities IS NULL AND NEW.entities IS NOT NULL THEN
        NEW.times_filled := OLD.times_filled + 1;
    END IF;
    RETURN NEW;
END
\$\$;
SET citus.enable_unsafe_triggers = on;
CREATE TRIGGER count_fills BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION count_fills();
SQL
rm -f "$notes_csv"
for n in 1 2; do
    # Citus hides shards from pg_class unless told otherwise.
    held="$(on_citus_node "$n" -c "SET citus.override_table_visibility = off" \
        -c "SELECT count(*) FROM pg_class WHERE relname ~ '^notes_[0-9]+\$' AND relkind = 'r'")"
    [ "$held" = $((SHARDS / 2)) ] || fail "worker $n holds $held shards of notes, not $((SHARDS / 2))"
done
echo "$NOTES notes in $SHARDS shards, $((SHARDS / 2)) on each worker"

step "extraction in the select list and in UPDATE runs on the workers"
for statement in "SELECT id, extract_entities_json(note) FROM notes" \
                 "UPDATE notes SET entities = extract_entities_json(note) WHERE entities IS NULL"; do
    plan="$(coordinator -c "SET citus.explain_all_tasks = on" -c "EXPLAIN (VERBOSE, COSTS OFF) $statement")"
    tasks="$(grep -E "Query: .*public\.notes_[0-9]+ " <<< "$plan" | grep -c "public\.extract_entities_json(note)" || true)"
    [ "$tasks" = "$SHARDS" ] || { echo "$plan"; fail "$tasks of $SHARDS task queries call extract_entities_json in: $statement"; }
    grep -q "Node: host=localhost port=$(citus_node_port 1)" <<< "$plan" &&
        grep -q "Node: host=localhost port=$(citus_node_port 2)" <<< "$plan" || fail "the tasks do not run on both workers"
    echo "$statement: $tasks tasks on the workers, each calling extract_entities_json"
done

step "results equal a single node's, row for row; so do aggregates"
ROWS_DIFFER="SELECT count(*) FROM (SELECT id, extract_entities_json(note) AS entities FROM notes) d
             FULL JOIN single_node s USING (id) WHERE d.entities IS DISTINCT FROM s.entities"
[ "$(coordinator -c "$ROWS_DIFFER")" = 0 ] || fail "the distributed SELECT differs from the single node"
BY_TYPE="SELECT string_agg(entity_type || ' ' || mentions || ' ' || notes, ', ' ORDER BY entity_type) FROM (
             SELECT e->>'entity_type' AS entity_type, count(*) AS mentions, count(DISTINCT id) AS notes
             FROM %s, jsonb_array_elements(%s) AS e GROUP BY 1) AS t"
distributed="$(coordinator -c "$(printf "$BY_TYPE" notes 'extract_entities_json(note)')")"
single="$(coordinator -c "$(printf "$BY_TYPE" single_node entities)")"
[ -n "$single" ] && [ "$distributed" = "$single" ] || fail "mentions by type: distributed '$distributed', single node '$single'"
echo "entities of all $NOTES notes identical; mentions and notes by type: $distributed"
coordinator -c "UPDATE notes SET entities = extract_entities_json(note) WHERE entities IS NULL"
[ "$(coordinator -c "SELECT count(*) FROM notes WHERE entities IS NULL")" = 0 ] || fail "UPDATE left rows unfilled"
[ "$(coordinator -c "$FILLED_DIFFER")" = 0 ] || fail "UPDATE wrote entities that differ from the single node"
echo "UPDATE filled all $NOTES rows with the single node's entities"
coordinator -c "UPDATE notes SET entities = NULL, times_filled = 0"

step "populate_entities, cancelled after its first round: the workers stop too, and what was written stays"
cancel_log="$(mktemp)"
coordinator -c "$POPULATE" > "$cancel_log" 2>&1 &
caller=$!
wait_until "the coordinator's progress shows a running fill with rows done and rows left" \
    "SELECT EXISTS (SELECT FROM clinical_ner_populate_progress WHERE relation = 'notes'::regclass
                    AND state = 'running' AND rows_done > 0 AND rows_left > 0)"
coordinator -c "SELECT rows_done || ' rows done, ' || rows_left || ' left, ' || state FROM clinical_ner_populate_progress
                WHERE relation = 'notes'::regclass ORDER BY run_id DESC LIMIT 1"
coordinator -c "SELECT pg_cancel_backend(pid) FROM clinical_ner_populate_progress WHERE state = 'running'" >/dev/null
wait "$caller" && fail "the cancelled CALL succeeded"
grep -q "canceling statement due to user request" "$cancel_log" || { cat "$cancel_log"; fail "the CALL did not end by the cancel"; }
for n in 1 2; do
    for _ in $(seq 1 100); do
        busy="$(on_citus_node "$n" -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CALL %populate_entities%' AND pid <> pg_backend_pid()")"
        [ "$busy" = 0 ] && break
        sleep 0.1
    done
    [ "$busy" = 0 ] || fail "worker $n still runs a shard's fill 10 s after the cancel"
done
filled="$(coordinator -c "SELECT count(*) FROM notes WHERE entities IS NOT NULL")"
[ "$filled" -gt 0 ] && [ "$filled" -lt "$NOTES" ] || fail "$filled rows filled after the cancel (expected some, not all)"
[ "$(coordinator -c "$FILLED_DIFFER")" = 0 ] || fail "a row filled before the cancel differs from the single node"
[ "$(coordinator -c "SELECT state FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1")" = stopped ] \
    || fail "the cancelled run is not shown as stopped"
echo "cancelled with $filled of $NOTES rows filled, each as the single node fills it; no shard fill left running"

step "populate_entities with a worker node stopped during the fill, then called again"
failed_log="$(mktemp)"
coordinator -c "$POPULATE" > "$failed_log" 2>&1 &
caller=$!
wait_until "the second fill has done a round" \
    "SELECT EXISTS (SELECT FROM clinical_ner_populate_progress WHERE relation = 'notes'::regclass
                    AND state = 'running' AND rows_done > 0)"
runuser -u postgres -- "$("$PG_CONFIG" --bindir)/pg_ctl" -D "$(citus_node_dir 2)/data" -m immediate -w stop >/dev/null
wait "$caller" && fail "the CALL succeeded with a worker node down"
grep -q "shards of notes were not filled: .*:$(citus_node_port 2) " "$failed_log" \
    || { cat "$failed_log"; fail "the error does not name the stopped node's shards"; }
grep -- "ERROR" "$failed_log" | cut -c1-240
citus_node_cluster 2 start
filled="$(coordinator -c "SELECT count(*) FROM notes WHERE entities IS NOT NULL")"
[ "$filled" -lt "$NOTES" ] || fail "every row was filled although a node was down"
[ "$(coordinator -c "$FILLED_DIFFER")" = 0 ] || fail "a row filled before the node stopped differs from the single node"
echo "$filled of $NOTES rows filled with a node down; the node restarted"
coordinator -c "SET client_min_messages = warning" -c "$POPULATE"
[ "$(coordinator -c "SELECT count(*) FROM notes WHERE entities IS NULL")" = 0 ] || fail "rows left unfilled after the last call"
[ "$(coordinator -c "$FILLED_DIFFER")" = 0 ] || fail "filled rows differ from the single node"
written="$(coordinator -c "SELECT string_agg(DISTINCT times_filled::text, ',') FROM notes")"
[ "$written" = 1 ] || fail "rows were filled $written times, not exactly once"
[ "$(coordinator -c "SELECT state || ' ' || rows_left FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1")" = "finished 0" ] \
    || fail "the last run is not shown finished with no rows left"
echo "all $NOTES rows filled exactly once, each with the single node's entities"

step "a reference table is refused"
coordinator -c "CREATE TABLE codes_reference (id int PRIMARY KEY, note text, entities jsonb)" \
    -c "SELECT create_reference_table('codes_reference')" >/dev/null
refused="$(coordinator -c "CALL populate_entities('codes_reference', 'note')" 2>&1 || true)"
grep -q "is a Citus reference table" <<< "$refused" || fail "a reference table was not refused: $refused"
echo "$refused" | head -1

step "a distributed partitioned table is filled through its partitions' shards"
coordinator <<SQL >/dev/null
CREATE TABLE visits (id int, site text, note text, entities jsonb, PRIMARY KEY (id, site)) PARTITION BY LIST (site);
CREATE TABLE visits_a PARTITION OF visits FOR VALUES IN ('a');
CREATE TABLE visits_b PARTITION OF visits FOR VALUES IN ('b');
SELECT create_distributed_table('visits', 'id');
INSERT INTO visits SELECT id, CASE WHEN id % 2 = 0 THEN 'a' ELSE 'b' END, note FROM single_node_notes WHERE id <= 16;
SQL
coordinator -c "SET client_min_messages = warning" -c "CALL populate_entities('visits', 'note', 'entities')"
[ "$(coordinator -c "SELECT count(*) FILTER (WHERE v.entities IS NOT DISTINCT FROM s.entities) || ' of ' || count(*)
                     FROM visits v JOIN single_node s USING (id)")" = "17 of 17" ] \
    || fail "the partitioned table's rows differ from the single node's"
echo "17 of 17 rows of a distributed table partitioned by site filled with the single node's entities"

step "one model per node: the shared inference worker on each worker node"
for n in 1 2; do set_inference_worker "$n" on; done
wait_for_inference_workers || fail "the inference workers did not start"
requests_before=()
for n in 1 2; do requests_before[$n]="$(on_citus_node "$n" -c "SELECT requests FROM clinical_ner_inference_worker()")"; done
# Citus opens several connections per node for the query and keeps one open afterwards: while it is
# open (counted), list every process of each worker node that has ONNX Runtime mapped.
mapped="$(coordinator <<SQL
SELECT count(*) FROM (SELECT id, extract_entities_json(note) AS entities FROM notes) d
    FULL JOIN single_node s USING (id) WHERE d.entities IS DISTINCT FROM s.entities;
\! for n in 1 2; do for pid in \$(pgrep -P "\$(head -1 $CLUSTER_DIR/citus\$n/data/postmaster.pid)"); do grep -q libonnxruntime /proc/\$pid/maps 2>/dev/null && echo "node\$n \$(cat /proc/\$pid/cmdline | tr '\\0' ' ')"; done; done
\! for n in 1 2; do echo "connections\$n \$(psql -X -tA -h $CLUSTER_DIR/citus\$n/run -p \$(($(citus_node_port 0) + n)) -d $CITUS_DB -c "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'citus_internal%'")"; done
SQL
)"
echo "$mapped"
[ "$(head -1 <<< "$mapped")" = 0 ] || fail "entities served by the inference workers differ from the single node"
for n in 1 2; do
    [ "$(grep -c "^node$n " <<< "$mapped")" = 1 ] && grep -q "^node$n .*clinical_ner inference worker" <<< "$mapped" \
        || fail "on worker node $n, processes other than the inference worker loaded ONNX Runtime"
    [ "$(grep "^connections$n " <<< "$mapped" | cut -d' ' -f2)" -gt 0 ] \
        || fail "no Citus connection to worker node $n was open while the processes were listed"
    requests="$(on_citus_node "$n" -c "SELECT requests FROM clinical_ner_inference_worker()")"
    [ "$requests" -gt "${requests_before[$n]}" ] || fail "the inference worker of node $n served no request"
    echo "worker node $n: the inference worker served $((requests - requests_before[n])) requests; it alone has ONNX Runtime"
done

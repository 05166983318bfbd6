#!/usr/bin/env bash
# The shared inference worker on a cluster of its own (clinical_ner in shared_preload_libraries,
# clinical_ner.inference_worker = on). Each check can fail: the worker runs as a background worker and
# the postmaster never maps ONNX Runtime; sessions get the same entities from the worker as from their
# own model (codes included), and a session served by the worker loads neither ONNX Runtime nor the
# vocabulary; a session that asks for another model runs its own; a reload that names another model
# switches the worker to it without a restart; a cancelled, a terminated and a
# vanished client leave the worker serving, which drops the notes of sessions that gave up; with the
# worker unreachable, sessions extract the same entities themselves; a backend killed with SIGKILL (the
# server restarts every process) and a server restart bring a fresh worker that serves again; the
# socket is private to the server's OS user; and tests/faults/run.sh passes on this cluster too.
# Usage: tests/inference_worker/run.sh   (the shipped model and extension installed: scripts/setup.sh)
source "$(dirname "$0")/../../scripts/common.sh"
export CLINICAL_NER_CLUSTER="$CLUSTER_DIR/worker" CLINICAL_NER_PORT=$((PGPORT + 20))
export PGHOST="$CLINICAL_NER_CLUSTER/run" PGPORT="$CLINICAL_NER_PORT"
DB=clinical_ner_worker
DATA="$CLINICAL_NER_CLUSTER/data"
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -tAc "$1"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
cluster() { "$ROOT/scripts/cluster.sh" "$1"; }
trap 'cluster stop' EXIT
# The worker has no database connection, so it is not in pg_stat_activity: its process title names it.
worker_pid() { pgrep -P "$(head -1 "$DATA/postmaster.pid")" -f "clinical_ner inference worker"; }
MODELS="SELECT concat_ws(' ', name, version, base_model, checksum, labels, device, path, max_sequence_length) FROM clinical_ner_models()"
ENTITIES="SELECT md5(string_agg(id || ':' || extract_entities_json(note)::text, '#' ORDER BY id)) FROM sample_notes"

# Waits until the worker answers (it loads the model after the server starts); prints its request count.
wait_for_worker() {
    for _ in $(seq 1 300); do
        requests="$(sql "SELECT requests FROM clinical_ner_inference_worker()" 2>/dev/null || true)"
        [ -n "$requests" ] && { echo "$requests"; return; }
        sleep 0.2
    done
    fail "the worker never answered"
}

step "a cluster with the shared inference worker on port $PGPORT"
cluster start
psql -X -q -d postgres -c "LOAD 'clinical_ner'" \
    -c "ALTER SYSTEM SET shared_preload_libraries = 'clinical_ner'" \
    -c "ALTER SYSTEM SET clinical_ner.inference_worker = on"
cluster stop
cluster start
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql "CREATE EXTENSION clinical_ner"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$ROOT/sql/examples/sample_notes.sql" >/dev/null
wait_for_worker >/dev/null
pid="$(worker_pid)"
[ -n "$pid" ] || fail "no process 'clinical_ner inference worker' under the postmaster"
[ "$(sql "SELECT pid FROM clinical_ner_inference_worker()")" = "$pid" ] || fail "the worker's reported pid is not $pid"
postmaster="$(head -1 "$DATA/postmaster.pid")"
grep -q libonnxruntime "/proc/$pid/maps" || fail "the worker has no ONNX Runtime loaded"
! grep -q libonnxruntime "/proc/$postmaster/maps" || fail "the postmaster mapped ONNX Runtime"
socket="$(sql "SELECT socket FROM clinical_ner_inference_worker()")"
[ "$(stat -c '%U %a' "$socket")" = "postgres 700" ] || fail "socket $socket is not private: $(stat -c '%U %a' "$socket")"
echo "worker pid $pid serves $(sql "SELECT model_name || ' ' || model_version || ' on ' || device FROM clinical_ner_inference_worker()") at $socket; the postmaster has no ONNX Runtime"

step "the same entities from the worker as from a session's own model"
served_before="$(sql "SELECT requests FROM clinical_ner_inference_worker()")"
via_worker="$(psql -X -q -d "$DB" -tA <<SQL
SELECT serves_this_session FROM clinical_ner_inference_worker();
$ENTITIES;
$MODELS;
SELECT pg_backend_pid() AS backend \gset
\setenv BACKEND :backend
\! grep -c libonnxruntime /proc/\$BACKEND/maps
SQL
)"
in_process="$(psql -X -q -d "$DB" -tA <<SQL
SET clinical_ner.use_inference_worker = off;
SELECT serves_this_session FROM clinical_ner_inference_worker();
$ENTITIES;
$MODELS;
SQL
)"
mapfile -t w <<< "$via_worker"; mapfile -t p <<< "$in_process"
[ "${w[0]}" = t ] && [ "${p[0]}" = f ] || fail "serves_this_session: with the worker '${w[0]}', without '${p[0]}'"
[ "${w[1]}" = "${p[1]}" ] || fail "entities differ: worker ${w[1]}, in-process ${p[1]}"
[ "${w[2]}" = "${p[2]}" ] || fail "clinical_ner_models(): worker '${w[2]}', in-process '${p[2]}'"
[ "${w[3]}" = 0 ] || fail "a session served by the worker loaded ONNX Runtime itself"
served_after="$(sql "SELECT requests FROM clinical_ner_inference_worker()")"
[ $((served_after - served_before)) -ge 12 ] || fail "the worker served $((served_after - served_before)) requests, not the 12 notes"
set_based_worker="$(sql "SELECT md5(extract_entities_json_batch(array_agg(note ORDER BY id))::text) FROM sample_notes")"
set_based_own="$(psql -X -q -d "$DB" -tA -c "SET clinical_ner.use_inference_worker = off" \
    -c "SELECT md5(extract_entities_json_batch(array_agg(note ORDER BY id))::text) FROM sample_notes")"
[ "$set_based_worker" = "$set_based_own" ] || fail "the set-based call differs between worker and session"
echo "12 notes: per-row and set-based results identical ($( cut -c1-12 <<< "${w[1]}")...), and clinical_ner_models() too; the served session never loaded ONNX Runtime"

# resident_kb USE_WORKER: a session's resident memory after extracting (with codes) from every sample note.
resident_kb() {
    psql -X -q -d "$DB" -tA <<SQL | tail -1
SET clinical_ner.use_inference_worker = $1;
SELECT count(*) FROM sample_notes, extract_entities_json(note);
SELECT pg_backend_pid() AS backend \gset
\setenv BACKEND :backend
\! awk '/^VmRSS/ { print \$2 }' /proc/\$BACKEND/status
SQL
}
served_kb="$(resident_kb on)"; own_kb="$(resident_kb off)"
[ -n "$(sql "SELECT vocabulary_path FROM clinical_ner_inference_worker()")" ] || fail "the worker has no vocabulary"
[ $((served_kb * 2)) -lt "$own_kb" ] || fail "a served session holds $served_kb kB, one running its own model $own_kb kB"
echo "a session's resident memory after extracting with codes: $((served_kb / 1024)) MB served by the worker, $((own_kb / 1024)) MB with its own model and vocabulary"

step "a session that asks for another model runs its own"
other="$(sql "SELECT setting FROM pg_settings WHERE name = 'clinical_ner.model_path'")"
copy="$CLINICAL_NER_CLUSTER/other-model"
rm -rf "$copy"; cp -r "$other" "$copy"; chmod -R a+rX "$copy"
served_before="$(sql "SELECT requests FROM clinical_ner_inference_worker()")"
other_model="$(psql -X -q -d "$DB" -tA -c "SET clinical_ner.model_path = '$copy'" \
    -c "SELECT serves_this_session FROM clinical_ner_inference_worker()" -c "$ENTITIES")"
[ "$other_model" = "$(printf 'f\n%s' "${w[1]}")" ] || fail "another model folder: '$other_model'"
[ "$(sql "SELECT requests FROM clinical_ner_inference_worker()")" = "$served_before" ] \
    || fail "the worker served a session that asked for another model"
echo "another model folder: served in the session, same entities, no requests to the worker"

step "a reload that names another model folder switches the worker to it, with no restart"
reload_with() { psql -X -q -d postgres -c "ALTER SYSTEM $1" -c "SELECT pg_reload_conf()" >/dev/null; }
wait_for_model() {
    for _ in $(seq 1 150); do
        [ "$(sql "SELECT model_path FROM clinical_ner_inference_worker()")" = "$1" ] && return
        sleep 0.2
    done
    fail "the worker never switched to $1"
}
reload_with "SET clinical_ner.model_path = '$copy'"
wait_for_model "$copy"
[ "$(worker_pid)" = "$pid" ] || fail "the worker restarted to switch models"
switched="$(psql -X -q -d "$DB" -tA -c "SELECT serves_this_session FROM clinical_ner_inference_worker()" -c "$ENTITIES")"
[ "$switched" = "$(printf 't\n%s' "${w[1]}")" ] || fail "after the switch: '$switched'"
reload_with "RESET clinical_ner.model_path"
wait_for_model "$other"
echo "reload: worker pid $pid switched to $copy and back, serving sessions that name it, same entities"

step "cancelled, terminated and vanished clients leave the worker serving"
LONG="'PHI-MARKER-7301 ' || repeat('Started metformin for type 2 diabetes; denies chest pain. ', 1000)"
cancelled="$(psql -X -q -d "$DB" -tA -c "SET statement_timeout = '300ms'" \
    -c "SELECT extract_entities_json($LONG) IS NOT NULL" 2>&1 || true)"
grep -q "canceling statement due to statement timeout" <<< "$cancelled" || fail "no timeout: $cancelled"
psql -X -q -d "$DB" -tA -c "SELECT extract_entities_json($LONG) IS NOT NULL /* worker-probe */" >/dev/null 2>&1 &
for _ in $(seq 1 100); do
    victim="$(sql "SELECT pid FROM pg_stat_activity WHERE query LIKE '%worker-probe%' AND pid <> pg_backend_pid()")"
    [ -n "$victim" ] && break; sleep 0.05
done
[ -n "$victim" ] || fail "the long call never started"
sql "SELECT pg_terminate_backend($victim)" >/dev/null
wait || true
psql -X -q -d "$DB" -tA -c "SELECT extract_entities_json($LONG) IS NOT NULL" >/dev/null 2>&1 &
client=$!; sleep 0.5; { kill -9 "$client"; wait "$client"; } 2>/dev/null || true
[ "$(worker_pid)" = "$pid" ] || fail "the worker did not survive its clients (pid $pid, now $(worker_pid))"
[ "$(sql "SELECT extract_medications('Took aspirin.')")" = "{aspirin}" ] || fail "no answer after the faults"
abandoned="$(sql "SELECT abandoned_requests FROM clinical_ner_inference_worker()")"
[ "$abandoned" -ge 1 ] || fail "the worker finished notes whose sessions had given up"
echo "after a timeout, a terminated backend and a killed client: worker pid $pid still serves; $abandoned abandoned requests dropped, $(sql "SELECT failed_runs FROM clinical_ner_inference_worker()") failed engine runs"

step "a backend killed with SIGKILL: the server restarts every process, and a fresh worker serves"
psql -X -q -d "$DB" -tA -c "SELECT pg_sleep(30) /* worker-victim */" >/dev/null 2>&1 &
sleep 0.5
victim="$(sql "SELECT pid FROM pg_stat_activity WHERE query LIKE '%worker-victim%' AND pid <> pg_backend_pid()")"
kill -9 "$victim"; wait || true
for _ in $(seq 1 100); do sql "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
wait_for_worker >/dev/null
after_crash="$(worker_pid)"
[ -n "$after_crash" ] && [ "$after_crash" != "$pid" ] || fail "no fresh worker after the crash restart"
[ "$(sql "$ENTITIES")" = "${w[1]}" ] || fail "different entities after the crash restart"
echo "crash restart: worker pid $pid -> $after_crash, same entities"

step "a server restart: the worker stops with the server and a fresh one replaces its socket"
cluster stop
[ ! -e "$socket" ] || fail "the worker left its socket behind after a clean stop"
cluster start
wait_for_worker >/dev/null
[ -S "$socket" ] && [ "$(sql "$ENTITIES")" = "${w[1]}" ] || fail "no service after a restart"
echo "restart: worker pid $(worker_pid) serves at $socket, same entities"

step "the fault and load tests of the single-node cluster, on this one"
"$ROOT/tests/faults/run.sh" 10 1000
[ "$(sql "SELECT requests > 0 FROM clinical_ner_inference_worker()")" = t ] || fail "the worker served none of it"

step "an unreachable worker: sessions run the model themselves, with the same results"
rm "$socket"
[ -z "$(sql "SELECT pid FROM clinical_ner_inference_worker()")" ] || fail "a worker answered without its socket"
[ "$(sql "$ENTITIES")" = "${w[1]}" ] || fail "different entities without the worker"
echo "socket removed: no worker answers, and sessions extract the same entities themselves"

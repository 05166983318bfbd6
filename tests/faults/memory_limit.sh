#!/usr/bin/env bash
# Large notes on a cluster of its own whose processes may map at most 1 GiB each (ulimit -v, inherited
# by every backend): no input may abort a backend. Each check can fail:
#   - a 50 MB note without whitespace is a clear ERROR at the default clinical_ner.max_note_size, and
#     with the limit raised to 64 MB by a superuser it gives its defined result (the stretch read in
#     bounded pieces), where 0.4.0 tokenised it whole and aborted the backend (the postmaster then
#     restarts every session);
#   - a session opened before keeps its backend and its results throughout;
#   - statement_timeout stops a 4 MB note within seconds (tokenising asks for cancels per segment);
#   - peak memory per note shape (whitespace-free, punctuation only, one word repeated, prose), printed
#     as a multiple of the note's size.
# Usage: tests/faults/memory_limit.sh   (the extension installed: scripts/setup.sh)
source "$(dirname "$0")/../../scripts/common.sh"
export CLINICAL_NER_CLUSTER="$CLUSTER_DIR/memory" CLINICAL_NER_PORT=$((PGPORT + 30))
export PGHOST="$CLINICAL_NER_CLUSTER/run" PGPORT="$CLINICAL_NER_PORT"
LIMIT_KIB=$((1024 * 1024))
DB=clinical_ner_memory
LOG="$CLINICAL_NER_CLUSTER/postgres.log"
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -tAc "$1"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
trap '"$ROOT/scripts/cluster.sh" stop' EXIT
PEAK="substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+(\d+)')::bigint"

step "a cluster whose processes may map at most $((LIMIT_KIB / 1024)) MiB each, on port $PGPORT"
(ulimit -v "$LIMIT_KIB" && "$ROOT/scripts/cluster.sh" start)
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql "CREATE EXTENSION clinical_ner"
started="$(sql "SELECT pg_postmaster_start_time()")"
crashes() { grep -c "terminated by signal" "$LOG" || true; }
crashes_before="$(crashes)"

# A session that stays open throughout, asked before and after: same backend, same answer.
coproc WATCHER { psql -X -q -tA -d "$DB" 2>&1; }
ask_watcher() {
    echo "SELECT pg_backend_pid() || ' ' || array_to_string(extract_medications('Started metformin; took aspirin.'), ',');" >&"${WATCHER[1]}"
    read -r -t 60 answer <&"${WATCHER[0]}" || fail "the open session did not answer"
    echo "$answer"
}
before="$(ask_watcher)"

step "a 50 MB note without whitespace at the default limit: a clear ERROR"
out="$(psql -X -d "$DB" -c "SELECT count(*) FROM extract_entities('PHI-MARKER-3170 ' || repeat('x', 50000000))" 2>&1 || true)"
grep -q "ERROR:  clinical_ner: a note of 50000016 bytes is over clinical_ner.max_note_size" <<< "$out" \
    || fail "unexpected answer: $(head -2 <<< "$out")"
echo "$(head -1 <<< "$out")"

step "the same note with the limit raised to 64 MB: a defined result, no crash"
seconds=$(date +%s)
result="$(psql -X -q -tA -v ON_ERROR_STOP=1 -d "$DB" <<SQL
SET clinical_ner.max_note_size = '64MB';
SELECT count(*) || ' entities, peak ' || $PEAK / 1024 || ' MiB'
FROM extract_entities('PHI-MARKER-3171 ' || repeat('x', 50000000));
SQL
)" || fail "the 50 MB note failed: $result"
echo "50 MB without whitespace: $result in $(( $(date +%s) - seconds )) s"
[ "$(crashes)" = "$crashes_before" ] && [ "$(sql "SELECT pg_postmaster_start_time()")" = "$started" ] \
    || fail "a backend crashed or the server restarted: $(grep "terminated by signal" "$LOG" | tail -1)"

step "statement_timeout stops a 4 MB note within seconds"
seconds=$(date +%s%N)
out="$(psql -X -d "$DB" -c "SET clinical_ner.max_note_size = '8MB'" -c "SET statement_timeout = '1s'" \
           -c "SELECT count(*) FROM extract_entities(repeat('aspirin ', 500000))" 2>&1 || true)"
elapsed_ms=$(( ($(date +%s%N) - seconds) / 1000000 ))
grep -q "canceling statement due to statement timeout" <<< "$out" || fail "no timeout: $(head -2 <<< "$out")"
echo "a 1 s statement_timeout ended the call after $elapsed_ms ms"
[ "$elapsed_ms" -le 5000 ] || fail "the timeout took effect after $elapsed_ms ms"

step "peak memory per note shape: a fixed part (tokenising one bounded segment) and a part per byte"
# A backend warmed up on a note that fills whole inference runs: ONNX Runtime's arena then holds what
# any note needs for its runs, and what remains is what grows with the note. Each shape at two sizes,
# each in a backend of its own: the slope between them is the memory per byte of note.
WARM_UP="SELECT count(*) FROM extract_entities(repeat('The patient walked in the garden with her family. ', 200))"
peak_over_warm() { # SQL-producing-the-note -> "bytes entities extra_kib"
    psql -X -q -tA -v ON_ERROR_STOP=1 -d "$DB" -c "$WARM_UP" -c "SELECT $PEAK" \
        -c "SELECT octet_length(n) || ' ' || (SELECT count(*) FROM extract_entities(n)) || ' ' || $PEAK FROM (SELECT $1 AS n) AS t" \
        | tail -2 | tr '\n' ' ' | awk '{ print $2, $3, $4 - $1 }'
}
for shape in "repeat('x', SIZE)" "repeat('.', SIZE)" "repeat('aspirin ', SIZE / 8)" \
             "repeat('The patient walked in the garden with her family. ', SIZE / 50)"; do
    read -r small_bytes _ small_extra <<< "$(peak_over_warm "${shape//SIZE/131072}")"
    read -r bytes entities extra <<< "$(peak_over_warm "${shape//SIZE/262144}")"
    per_byte=$(( (extra - small_extra) * 1024 / (bytes - small_bytes) ))
    echo "${shape//SIZE/N}: at $bytes bytes $entities entities and $(( extra / 1024 )) MiB over a warm backend; $per_byte bytes per byte of note beyond $(( small_bytes / 1024 )) KiB"
    [ "$per_byte" -le 64 ] || fail "${shape//SIZE/N} costs $per_byte bytes per byte of note"
done
[ "$(crashes)" = "$crashes_before" ] || fail "a backend crashed"

step "the session opened before is untouched"
after="$(ask_watcher)"
[ "$after" = "$before" ] || fail "the open session changed: before '$before', after '$after'"
echo "same backend, same answer: $after"
exec {WATCHER[1]}>&-
psql -X -q -d postgres -c "DROP DATABASE $DB"

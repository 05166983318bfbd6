#!/usr/bin/env bash
# Using both cores from SQL, side by side in alternating rounds on the benchmark's notes (run
# bench/run.sh first, which loads them into the clinical_ner_bench database):
#   - CREATE TABLE AS over the notes: a serial plan (one backend, 2 ONNX Runtime threads) against a
#     parallel plan (2 workers, 1 thread each, the leader only gathering);
#   - populate_entities: one session (2 threads) against two sessions at once (1 thread each), which
#     SKIP LOCKED lets share one table.
# Prints notes/s per round and the medians.   Usage: bench/parallel.sh [ROUNDS=3] [NOTES=200]
source "$(dirname "$0")/../scripts/common.sh"
ROUNDS="${1:-3}"
NOTES="${2:-200}"
DB=clinical_ner_bench
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
sql -c "DROP TABLE IF EXISTS parallel_notes;
        CREATE TABLE parallel_notes AS SELECT id, note, NULL::jsonb AS entities FROM bench_notes WHERE id <= $NOTES;
        ALTER TABLE parallel_notes SET (parallel_workers = 2)"

# timed LABEL COMMAND...: runs the command, appends "LABEL notes/s" to the figures.
timed() {
    local label="$1" started ended; shift
    started=$(date +%s%N); "$@"; ended=$(date +%s%N)
    echo "$label $(awk -v n="$NOTES" -v ns=$((ended - started)) 'BEGIN { printf "%.2f", n / (ns / 1e9) }')" | tee -a "$FIGURES"
}
create_table() { # WORKERS THREADS
    sql -c "SET max_parallel_workers_per_gather = $1" -c "SET parallel_leader_participation = off" \
        -c "SET clinical_ner.intra_op_threads = $2" -c "DROP TABLE IF EXISTS parallel_entities" \
        -c "CREATE TABLE parallel_entities AS SELECT id, extract_entities_json(note) AS entities FROM parallel_notes"
}
populate() { # SESSIONS THREADS
    sql -c "UPDATE parallel_notes SET entities = NULL"
    for _ in $(seq 1 "$1"); do
        PGOPTIONS="-c clinical_ner.intra_op_threads=$2 -c client_min_messages=warning" \
            sql -c "CALL populate_entities('parallel_notes', 'note', 'entities', 16)" &
    done
    wait
}
FIGURES="$(mktemp)"
for round in $(seq 1 "$ROUNDS"); do
    step "round $round of $ROUNDS"
    timed "create-table-serial" create_table 0 2
    timed "create-table-2-workers" create_table 2 1
    timed "populate-1-session" populate 1 2
    timed "populate-2-sessions" populate 2 1
done
[ "$(sql -c "SELECT count(*) FROM parallel_notes WHERE entities = extract_entities_json(note)")" = "$NOTES" ] \
    || { echo "two sessions did not fill every row with the per-row result" >&2; exit 1; }
step "medians over $ROUNDS rounds ($NOTES MTSamples notes, notes/s)"
sort -k1,1 -k2,2n "$FIGURES" | awk '{ v[$1] = v[$1] " " $2; n[$1]++ } END {
    for (k in v) { split(substr(v[k], 2), a, " "); printf "%-24s %s\n", k, a[int((n[k] + 1) / 2)] } }' | sort
rm -f "$FIGURES"

#!/usr/bin/env bash
# The shared inference worker against in-process inference, side by side in alternating rounds on a
# cluster of its own (clinical_ner in shared_preload_libraries, clinical_ner.inference_worker = on):
#   - memory: 20 connections that have each extracted from one note, held open; the sum over every
#     server process of PSS (proportional set size: a shared page counts once in total) and of RSS;
#     sessions with clinical_ner.use_inference_worker = off each load the model, the others use the worker;
#   - throughput: 8 pgbench clients, each making per-row calls (one sample note per statement), in-process
#     against the worker with cross-session batching (inference_worker_max_batch = 64) and without (= 1,
#     set by a reload), and how many requests shared an engine call.
# MODEL, an absolute model folder the postgres user can read, replaces the installed model server-wide
# (an fp32 folder from `python -m clinical_ner_train fp32` is one whose windows the engine pools across notes).
# Prints each round and the medians.   Usage: bench/inference_worker.sh [ROUNDS=3] [SECONDS=20] [MODEL]
source "$(dirname "$0")/../scripts/common.sh"
ROUNDS="${1:-3}"
SECONDS_PER_RUN="${2:-20}"
MODEL="${3:-}"
export CLINICAL_NER_CLUSTER="$CLUSTER_DIR/bench-worker" CLINICAL_NER_PORT=$((PGPORT + 30))
export PGHOST="$CLINICAL_NER_CLUSTER/run" PGPORT="$CLINICAL_NER_PORT"
DB=clinical_ner_bench_worker
BIN="$("$PG_CONFIG" --bindir)"
FIGURES="$(mktemp)"
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -tAc "$1"; }
cluster() { "$ROOT/scripts/cluster.sh" "$1"; }
trap 'cluster stop; rm -f "$FIGURES"' EXIT

start_cluster() {
    cluster stop
    cluster start
    psql -X -q -d postgres -c "LOAD 'clinical_ner'" \
        -c "ALTER SYSTEM SET shared_preload_libraries = 'clinical_ner'" \
        -c "ALTER SYSTEM SET clinical_ner.inference_worker = on" \
        -c "ALTER SYSTEM SET max_connections = 40"
    if [ -n "$MODEL" ]; then
        psql -X -q -d postgres -c "LOAD 'clinical_ner'" -c "ALTER SYSTEM SET clinical_ner.model_path = '$MODEL'"
    else
        psql -X -q -d postgres -c "LOAD 'clinical_ner'" -c "ALTER SYSTEM RESET clinical_ner.model_path"
    fi
    cluster stop
    cluster start
}

# The worker reads inference_worker_max_batch again on a reload.
set_max_batch() {
    psql -X -q -d postgres -c "ALTER SYSTEM SET clinical_ner.inference_worker_max_batch = $1" -c "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 300); do
        [ "$(sql "SELECT max_batch_notes FROM clinical_ner_inference_worker()" 2>/dev/null)" = "$1" ] && return
        sleep 0.2
    done
    echo "the worker never took max_batch $1" >&2; exit 1
}

# memory MODE(worker|in-process): 20 sessions, each after one extraction; sums over the server's processes.
memory() {
    local use=on; [ "$1" = in-process ] && use=off
    local pids=() n
    for n in $(seq 1 20); do
        PGOPTIONS="-c clinical_ner.use_inference_worker=$use" psql -X -q -d "$DB" -tA \
            -c "SELECT count(*) FROM sample_notes, extract_entities_json(note) WHERE id = 1" -c "SELECT pg_sleep(8)" >/dev/null &
        pids+=($!)
    done
    sleep 5
    local postmaster; postmaster="$(head -1 "$CLINICAL_NER_CLUSTER/data/postmaster.pid")"
    local pss=0 rss=0 pid
    for pid in "$postmaster" $(pgrep -P "$postmaster"); do
        pss=$((pss + $(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")))
        rss=$((rss + $(awk '/^Rss:/ { print $2 }' "/proc/$pid/smaps_rollup")))
    done
    wait "${pids[@]}"
    echo "memory-pss-MB $1 $((pss / 1024))" | tee -a "$FIGURES"
    echo "memory-rss-MB $1 $((rss / 1024))" | tee -a "$FIGURES"
}

# throughput LABEL USE_WORKER(on|off): 8 clients of per-row calls; prints statements (notes) per second.
throughput() {
    local script; script="$(mktemp)"
    cat > "$script" <<'SQL'
\set id random(1, 12)
SELECT jsonb_array_length(extract_entities_json(note)) FROM sample_notes WHERE id = :id;
SQL
    local tps
    tps="$(PGOPTIONS="-c clinical_ner.use_inference_worker=$2" "$BIN/pgbench" -n -c 8 -j 8 -T "$SECONDS_PER_RUN" \
        -f "$script" "$DB" 2>/dev/null | awk '/^tps/ { print $3 }')"
    rm -f "$script"
    echo "notes-per-s $1 $tps" | tee -a "$FIGURES"
}

start_cluster
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
sql "CREATE EXTENSION clinical_ner"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$ROOT/sql/examples/sample_notes.sql" >/dev/null
for round in $(seq 1 "$ROUNDS"); do
    step "round $round of $ROUNDS"
    set_max_batch 64
    memory in-process
    memory worker
    throughput in-process off
    before="$(sql "SELECT requests || ' ' || engine_runs FROM clinical_ner_inference_worker()")"
    throughput worker-batched on
    after="$(sql "SELECT requests || ' ' || engine_runs FROM clinical_ner_inference_worker()")"
    echo "requests-per-engine-run worker-batched $(awk -v b="$before" -v a="$after" 'BEGIN {
        split(b, x, " "); split(a, y, " "); printf "%.2f", (y[1] - x[1]) / (y[2] - x[2]) }')" | tee -a "$FIGURES"
    set_max_batch 1
    throughput worker-unbatched on
done

step "medians over $ROUNDS rounds ($(nproc) cores), model: $(sql "SELECT model_name || ' (' || model_path || ')' FROM clinical_ner_inference_worker()")"
# Sorted by figure, then by value, so that each figure's rounds arrive in order (mawk has no asort).
sort -k1,2 -k3,3g "$FIGURES" | awk '{ key = $1 " " $2; count[key]++; value[key, count[key]] = $3 }
    END { for (key in count) {
              n = count[key]
              median = (n % 2) ? value[key, (n + 1) / 2] : (value[key, n / 2] + value[key, n / 2 + 1]) / 2
              rounds = ""; for (i = 1; i <= n; i++) rounds = rounds " " value[key, i]
              printf "%-45s %10.2f   (%s )\n", key, median, rounds } }' | sort

#!/usr/bin/env bash
# Filling a column on Citus (a coordinator and two workers on loopback, scripts/citus.sh) against one
# node, side by side in alternating rounds on the same MTSamples notes:
#   - single node: populate_entities on a plain table of the coordinator;
#   - Citus, each connection with its own model (the default): UPDATE ... SET entities =
#     extract_entities_json(note) on the distributed table (Citus opens up to
#     citus.max_adaptive_executor_pool_size connections per node, 16 by default) and populate_entities
#     (one connection per node at a time);
#   - the same UPDATE with citus.max_adaptive_executor_pool_size = 1 (one connection per node);
#   - Citus with the shared inference worker on each worker node, UPDATE and populate_entities.
# For each: notes per second, and the peak memory of a node that extracts during the fill (the sum of
# PSS, proportional set size, over the node's processes; the mean of the two workers). Prints each round and the
# medians.   Usage: bench/citus.sh [ROUNDS=3] [NOTES=200] [SHARDS=8]
source "$(dirname "$0")/../scripts/citus.sh"
source "$ROOT/bench/notes.sh"
ROUNDS="${1:-3}"
NOTES="${2:-200}"
SHARDS="${3:-8}"
FIGURES="$(mktemp)"
trap 'stop_citus; rm -f "$FIGURES"' EXIT
coordinator() { on_citus_node 0 "$@"; }

# node_pss N: the sum of PSS over node N's processes, in kB (one awk over them all: the sampler must
# take little of the 2 cores it measures on).
node_pss() {
    local postmaster
    postmaster="$(head -1 "$(citus_node_dir "$1")/data/postmaster.pid")"
    awk '/^Pss:/ { total += $2 } END { print total + 0 }' \
        $(for pid in "$postmaster" $(pgrep -P "$postmaster"); do echo "/proc/$pid/smaps_rollup"; done) 2>/dev/null
}

# measure LABEL SQL...: empties the column, runs the statements on the coordinator, and records notes
# per second and the peak memory of the nodes that extract (the workers; the coordinator for the
# single node) while they ran, sampled every 0.5 s.
measure() {
    local label="$1"; shift
    local table=notes nodes=(1 2)
    [[ "$label" == single-node* ]] && { table=single_node_notes; nodes=(0); }
    coordinator -c "UPDATE $table SET entities = NULL" >/dev/null
    local peaks; peaks="$(mktemp)"
    ( set +e  # a process that ends between listing and reading must not stop the sampler
      declare -A peak
      while true; do
          for n in "${nodes[@]}"; do
              pss="$(node_pss "$n")"
              [ -n "$pss" ] && [ "$pss" -gt "${peak[$n]:-0}" ] && peak[$n]="$pss"
          done
          echo "${peak[@]}" > "$peaks"
          sleep 0.5
      done ) &
    local sampler=$! start end statement args=()
    for statement in "$@"; do args+=(-c "$statement"); done
    start="$(date +%s.%N)"
    coordinator -c "SET client_min_messages = warning" "${args[@]}" >/dev/null
    end="$(date +%s.%N)"
    kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
    [ "$(coordinator -c "SELECT count(*) FROM $table WHERE entities IS NULL")" = 0 ] || { echo "$label left rows unfilled" >&2; exit 1; }
    local rate mean_peak
    rate="$(awk -v n="$NOTES" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", n / (e - s) }')"
    mean_peak="$(awk '{ for (i = 1; i <= NF; i++) t += $i; printf "%d", t / NF / 1024 }' "$peaks")"
    rm -f "$peaks"
    echo "notes-per-second $label $rate" | tee -a "$FIGURES"
    echo "peak-MB-per-node $label $mean_peak" | tee -a "$FIGURES"
}

UPDATE_ALL="UPDATE notes SET entities = extract_entities_json(note) WHERE entities IS NULL"
POPULATE="CALL populate_entities('notes', 'note', 'entities')"
# Each configuration's rounds: the in-process ones, then (after a restart of the workers) the worker's.
in_process_round() {
    measure single-node "CALL populate_entities('single_node_notes', 'note', 'entities')"
    measure citus-update "$UPDATE_ALL"
    measure citus-update-pool-1 "SET citus.max_adaptive_executor_pool_size = 1" "$UPDATE_ALL"
    measure citus-populate "$POPULATE"
}
inference_worker_round() {
    measure citus-update-inference-worker "$UPDATE_ALL"
    measure citus-populate-inference-worker "$POPULATE"
}

install_citus
load_notes() {
    local csv; csv="$(mktemp)"
    write_bench_notes "$NOTES" "$csv"
    coordinator <<SQL
CREATE TABLE single_node_notes (id int PRIMARY KEY, note text, entities jsonb);
\copy single_node_notes (id, note) FROM '$csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE notes (id int PRIMARY KEY, note text, entities jsonb);
SET citus.shard_count = $SHARDS;
SELECT create_distributed_table('notes', 'id');
INSERT INTO notes SELECT * FROM single_node_notes;
SQL
    rm -f "$csv"
}
# Alternating: every round starts both set-ups afresh, so that neither always runs on a warm machine.
for round in $(seq 1 "$ROUNDS"); do
    step "round $round of $ROUNDS: $NOTES notes, $SHARDS shards on 2 worker nodes"
    start_citus >/dev/null
    load_notes >/dev/null
    in_process_round
    stop_citus
    start_citus --inference-worker >/dev/null
    load_notes >/dev/null
    wait_for_inference_workers
    inference_worker_round
    stop_citus
done

step "medians of $ROUNDS rounds ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores)"
printf '| fill of %s notes | notes/s | peak MB per node that extracts (PSS) |\n|---|---:|---:|\n' "$NOTES"
for label in single-node citus-update citus-update-pool-1 citus-populate citus-update-inference-worker citus-populate-inference-worker; do
    median() { awk -v k="$1" -v l="$label" '$1 == k && $2 == l { print $3 }' "$FIGURES" | sort -g |
               awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    echo "| $label | $(median notes-per-second) | $(median peak-MB-per-node) |"
done

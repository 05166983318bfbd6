#!/usr/bin/env bash
# Every test: set up (scripts/setup.sh), then the Rust tests (engine on the real model, training
# readers, metrics, merge rules and teachers on the real corpora, the LLM client against a real local
# LLM server), the SQL regression tests and the fault and load tests
# against the local cluster, large notes on a memory-limited cluster, the PHI check of the server log, and the Python training tests with
# smoke runs (first model, domain pre-training, site adaptation), a coordinator with two shard clusters
# (postgres_fdw), a Citus coordinator with two workers, a cluster with the shared inference worker, and client tests from psycopg with the
# README's examples. Ends with one line:
# "N passed, N failed" (suites).
#   scripts/test.sh [SUITE...]   runs only the named suites: rust sql faults memory multinode citus
#                                worker client phi training (all of them by default)
source "$(dirname "$0")/common.sh"

# --gpu: the CUDA build of ONNX Runtime too, which the SQL tests load on this CPU (gpu_library).
"$ROOT/scripts/setup.sh" --with-python --gpu

SUITES=(rust sql faults memory multinode citus worker client phi training)
for wanted in "$@"; do
    [[ " ${SUITES[*]} " == *" $wanted "* ]] || { echo "unknown suite $wanted; the suites: ${SUITES[*]}" >&2; exit 2; }
done
CHOSEN=("$@")
selected() { [ ${#CHOSEN[@]} -eq 0 ] || [[ " ${CHOSEN[*]} " == *" $1 "* ]]; }


passed=0
failed=0
failures=()
# suite KEY DESCRIPTION COMMAND...: runs it when KEY is chosen.
suite() {
    local key="$1" name="$2"; shift 2
    selected "$key" || return 0
    step "$name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

rust_tests() {
    (cd "$ROOT" && CLINICAL_NER_ORT_LIBRARY="$ORT_LIBRARY" CLINICAL_NER_MODEL="$SHIPPED_MODEL" \
        CLINICAL_NER_OLD_ORT_LIBRARY="$TOO_OLD_ORT_LIBRARY" \
        CLINICAL_NER_DATA="$DATA_DIR" CLINICAL_NER_LLM_URL="http://127.0.0.1:8089/v1" CLINICAL_NER_REQUIRE_LLM=1 \
        cargo test --release -p clinical_ner_engine -p clinical_ner_shared_inference -p clinical_ner_training)
}

sql_regression_tests() {
    local regress_dir out
    regress_dir="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress"
    out="$CLUSTER_DIR/regress"
    rm -rf "$out"; mkdir -p "$out"
    # pg_regress runs psql in this folder: the tests \i the sample notes relative to it; phi.sql reads
    # the server log (\getenv CLINICAL_NER_SERVER_LOG).
    (cd "$ROOT/tests/pg_regress" && CLINICAL_NER_SERVER_LOG="$CLUSTER_DIR/postgres.log" "$regress_dir/pg_regress" \
        --bindir="$("$PG_CONFIG" --bindir)" --host="$PGHOST" --port="$PGPORT" --user=postgres \
        --dbname=clinical_ner_regress --inputdir=. --outputdir="$out" --schedule=schedule) \
        || { cat "$out/regression.diffs" 2>/dev/null | head -200; return 1; }
}

client_tests() {
    (cd "$ROOT/tests/client" && "$VENV/bin/python" -m pytest -q)
}

no_phi_in_server_log() {
    local logs=("$CLUSTER_DIR/postgres.log") log
    for log in "$CLUSTER_DIR"/shard*/postgres.log "$CLUSTER_DIR"/citus*/postgres.log "$CLUSTER_DIR"/worker/postgres.log "$CLUSTER_DIR"/memory/postgres.log; do [ -f "$log" ] && logs+=("$log"); done
    if grep -q "PHI-MARKER" "${logs[@]}"; then
        echo "note text reached a server log:" >&2
        grep -c "PHI-MARKER" "${logs[@]}" >&2
        return 1
    fi
    echo "no note text in the server logs ($(cat "${logs[@]}" | wc -l) lines in ${#logs[@]} logs checked)"
}

training_tests() {
    # The trainer reads its corpora as clinical-ner-train writes them, and scores through the engine.
    (cd "$ROOT" && cargo build --release -q -p clinical_ner_training &&
        cargo build --release -q -p clinical_ner_engine --example extract) &&
    (cd "$ROOT/training/python" && "$VENV/bin/python" -m pytest -q tests) &&
    (cd "$ROOT/training/python" && "$VENV/bin/python" -m clinical_ner_train first-model --smoke \
        --data-dir "$DATA_DIR") &&
    (cd "$ROOT/training/python" && "$VENV/bin/python" -m clinical_ner_train domain-pretrain --smoke \
        --data-dir "$DATA_DIR") &&
    site_adaptation_smoke
}

# The site recipe on 60 abstracts and one marked note as a site's notes: a dictionary and the local LLM
# (its key read from the environment) label them, the shipped model is adapted for a few steps, and the
# engine serves the new folder. Everything the training tools print must be free of the note's marker
# and of the key.
site_adaptation_smoke() {
    local work train="$ROOT/target/release/clinical-ner-train" status
    work="$(mktemp -d)"
    # (chained with &&: `set -e` does not reach inside a function that `suite` calls in a condition)
    (
        cd "$ROOT" && cargo build --release -q -p clinical_ner_training &&
        echo '{"id": "marked", "text": "PHI-MARKER-5521 takes warfarin for atrial fibrillation."}' > "$work/notes.jsonl" &&
        "$train" export-notes --data-dir "$DATA_DIR" --corpus bc5cdr-dev --limit 60 >> "$work/notes.jsonl" &&
        sed 's/"model"/"api_key_env": "SITE_LLM_KEY", "model"/' "$ROOT/training/teachers/local.json" > "$work/teachers.json" &&
        "$train" label --data-dir "$DATA_DIR" --teacher drugbank --notes "$work/notes.jsonl" > "$work/drugbank.jsonl" &&
        SITE_LLM_KEY=KEY-MARKER-8830 "$train" label --data-dir "$DATA_DIR" --teacher smollm2-135m \
            --teachers "$work/teachers.json" --cache "$work/llm-cache" --types symptom --limit 3 \
            --notes "$work/notes.jsonl" > "$work/llm.jsonl" &&
        cd "$ROOT/training/python" &&
        "$VENV/bin/python" -m clinical_ner_train adapt --data-dir "$DATA_DIR" \
            --model "$ROOT/models/clinical-ner-minilm" --site-notes "$work/notes.jsonl" \
            --site-labels "$work/drugbank.jsonl" "$work/llm.jsonl" --out "$work/model" \
            --max-steps 6 --check-every 3 --limit-original 5
    ) > "$work/output.log" 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        echo '{"id": "1", "text": "Started metformin for type 2 diabetes."}' \
            | (cd "$ROOT" && cargo run --release -q -p clinical_ner_engine --example extract -- \
                "$work/model" "$ORT_LIBRARY") > "$work/extracted.jsonl" &&
        grep -q '"metformin"' "$work/extracted.jsonl" &&
        echo "adapted model folder served by the engine: $(cat "$work/extracted.jsonl")"
        status=$?
    else
        tail -30 "$work/output.log"
    fi
    if grep -q "PHI-MARKER\|KEY-MARKER" "$work/output.log"; then
        echo "the training tools printed note text or the API key:" >&2
        grep -c "PHI-MARKER\|KEY-MARKER" "$work/output.log" >&2
        status=1
    else
        echo "no note text and no key in $(wc -l < "$work/output.log") lines the training tools printed"
    fi
    rm -rf "$work"
    return $status
}

# The OpenAI-compatible client's test talks to a real LLM: SmolLM2-135M under llama-cpp-python.
if selected rust || selected training; then
    "$ROOT/scripts/llm-server.sh" start
    trap '"$ROOT/scripts/llm-server.sh" stop' EXIT
fi
suite rust "Rust tests: engine on the real model, training tools on the real corpora and a real local LLM" rust_tests
"$ROOT/scripts/cluster.sh" start
suite sql "SQL regression tests (pg_regress, real cluster)" sql_regression_tests
suite faults "faults and load (terminate, SIGKILL, interrupted fills, DROP EXTENSION mid-fill, memory over 2,000 calls, 8 clients)" "$ROOT/tests/faults/run.sh" 20 2000
suite memory "large notes on a cluster limited to 1 GiB per process (no crash, cancels in time, memory per byte)" "$ROOT/tests/faults/memory_limit.sh"
suite multinode "multi-node: postgres_fdw coordinator and two shard clusters" "$ROOT/tests/multinode/run.sh"
suite citus "Citus: a coordinator and two workers, distributed extraction and populate_entities with a cancel and a stopped node" "$ROOT/tests/citus/run.sh"
suite worker "shared inference worker (its own cluster: same results, faults, restarts)" "$ROOT/tests/inference_worker/run.sh"
suite client "client tests: psycopg against the cluster, and the README's examples as written" client_tests
suite phi "PHI: server logs free of note text" no_phi_in_server_log
suite training "training tests and smoke run" training_tests

echo
[ ${#failures[@]} -eq 0 ] || printf 'failed suite: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

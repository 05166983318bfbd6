#!/usr/bin/env bash
# Throughput side by side in one run, on the same notes and the same weights: per-row SQL, the
# set-based call, the populate procedure, the engine without PostgreSQL (int8 and fp32), Python
# transformers' token-classification pipeline and Python onnxruntime; then the int8 model's token F1
# against the fp32 model's on the development sets. Writes every figure as JSON lines to
# bench/work/results.jsonl (F1 scores in bench/work/f1/), then docs/benchmarks.md and docs/benchmarks.png;
# last, prints what codes cost a backend (bench/vocabulary.sh).
#
# Usage: bench/run.sh [NOTES=500]          (after scripts/demo.sh, which sets up the cluster)
# CHECKPOINT: the folder with the PyTorch weights (pytorch/) and fp32 ONNX (model.fp32.onnx) that the
# shipped model was exported from, which the first-model command in the model's manifest makes. Without
# it (a fresh clone), both are rebuilt from the shipped int8 file (python -m clinical_ner_train fp32):
# the int8 weights dequantised, which label 98.7% of the parity sentences' words as the int8 file does.
source "$(dirname "$0")/../scripts/common.sh"
source "$ROOT/bench/notes.sh"
ensure_python_env
NOTES="${1:-500}"
CHECKPOINT="${CHECKPOINT:-$ROOT/training/work/clinical-ner-minilm}"
WORK="$ROOT/bench/work"
RESULTS="$WORK/results.jsonl"
DB=clinical_ner_bench
BATCH=64
# Paths alternate over rounds, and the report takes each path's median: this machine's speed drifts by
# 10% or more over minutes, which one pass in a fixed order would book to whichever path ran then.
ROUNDS="${ROUNDS:-3}"
mkdir -p "$WORK"
if [ ! -f "$CHECKPOINT/model.fp32.onnx" ] || [ ! -d "$CHECKPOINT/pytorch" ]; then
    CHECKPOINT="$WORK/checkpoint"
    if [ ! -d "$CHECKPOINT/pytorch" ]; then
        step "no PyTorch checkpoint: the fp32 twin rebuilt from the shipped int8 file, into $CHECKPOINT"
        rm -rf "$WORK/fp32-rebuilt"
        (cd "$ROOT/training/python" && "$VENV/bin/python" -m clinical_ner_train fp32 --model "$SHIPPED_MODEL" \
            --out "$WORK/fp32-rebuilt" --checkpoint-out "$CHECKPOINT")
    fi
fi
: > "$RESULTS"

step "the notes: the first $NOTES non-empty MTSamples transcriptions, and the fp32 twin of the shipped model"
write_bench_notes "$NOTES" "$WORK/notes.csv"
rm -rf "$WORK/fp32" && cp -r "$SHIPPED_MODEL" "$WORK/fp32" && cp "$CHECKPOINT/model.fp32.onnx" "$WORK/fp32/model.onnx"
"$VENV/bin/python" - "$WORK/fp32" <<'PY'
import hashlib, json, pathlib, sys
folder = pathlib.Path(sys.argv[1])
manifest = json.loads((folder / "manifest.json").read_text())
manifest["files"]["model.onnx"] = {"sha256": hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest(),
                                   "precision": "fp32"}
(folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
PY

(cd "$ROOT" && cargo build -q --release -p clinical_ner_engine --example throughput)
# engine MODEL PRECISION ROUND: the engine alone (no PostgreSQL), one note per call and $BATCH per call.
engine() {
    "$ROOT/target/release/examples/throughput" --model "$1" --ort-library "$ORT_LIBRARY" \
        --notes "$WORK/notes.csv" --column note --limit "$NOTES" --notes-per-call "1,$BATCH" --json \
        | sed "s/^{/{\"precision\":\"$2\",\"round\":$3,/" | tee -a "$RESULTS"
}

step "the database for the SQL paths"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
CREATE EXTENSION clinical_ner;
CREATE TABLE bench_notes (id int PRIMARY KEY, note text, entities jsonb);
\copy bench_notes (id, note) FROM '$WORK/notes.csv' WITH (FORMAT csv, HEADER true)
CREATE TABLE timings (path text, notes int, ms double precision);
SQL
# One timings row per call; joined with generate_series it becomes one row per note, so that a note's
# latency is the time of the call that returned it, as in the engine's figures.
# Each path in a fresh backend, warmed on ten notes; its peak resident memory is read from /proc.
# Tokens per second are worked out in the report from the engine's token count of the same notes.
figures() { # path, notes per call, round
    cat <<SQL
SELECT json_build_object(
    'path', '$1', 'precision', 'int8', 'notes_per_call', $2, 'notes', count(*),
    'seconds', sum(ms / notes) / 1000, 'notes_per_s', count(*) / (sum(ms / notes) / 1000),
    'p50_ms', percentile_cont(0.5) WITHIN GROUP (ORDER BY ms),
    'p95_ms', percentile_cont(0.95) WITHIN GROUP (ORDER BY ms),
    'peak_rss_mb', substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+(\d+)')::float8 / 1024,
    'private_rss_mb', substring(pg_read_file('/proc/self/status') FROM 'RssAnon:\s+(\d+)')::float8 / 1024,
    'round', $3)
FROM timings CROSS JOIN generate_series(1, notes) WHERE path = '$1';
SQL
}
# A single backend does the work: parallel workers would run the extraction elsewhere.
bench_sql() {
    { echo "SET max_parallel_workers_per_gather = 0;"; cat; } \
        | psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB" | tee -a "$RESULTS"
}

# sql_paths ROUND: per-row calls, the set-based call ($BATCH notes), populate_entities.
sql_paths() {
bench_sql <<SQL
TRUNCATE timings;
SELECT count(*) FROM (SELECT extract_entities_json(note) FROM bench_notes WHERE id <= 10) AS warm_up \gset
DO \$\$ DECLARE r record; t0 timestamptz; BEGIN
  FOR r IN SELECT note FROM bench_notes ORDER BY id LOOP
    t0 := clock_timestamp();
    PERFORM extract_entities_json(r.note);
    INSERT INTO timings VALUES ('SQL per-row', 1, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP; END \$\$;
$(figures "SQL per-row" 1 "$1")
SQL
bench_sql <<SQL
TRUNCATE timings;
SELECT count(*) FROM (SELECT extract_entities_json_batch(array_agg(note)) FROM bench_notes WHERE id <= 10) AS warm_up \gset
DO \$\$ DECLARE lo int; n int; t0 timestamptz; BEGIN
  FOR lo IN SELECT generate_series(0, max(id) - 1, $BATCH) FROM bench_notes LOOP
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM unnest((SELECT extract_entities_json_batch(array_agg(note ORDER BY id))
                                        FROM bench_notes WHERE id > lo AND id <= lo + $BATCH));
    INSERT INTO timings VALUES ('SQL set-based', n, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP; END \$\$;
$(figures "SQL set-based" "$BATCH" "$1")
SQL
bench_sql <<SQL
SET client_min_messages = warning;
UPDATE bench_notes SET entities = NULL;
TRUNCATE timings;
SELECT count(*) FROM (SELECT extract_entities_json(note) FROM bench_notes WHERE id <= 10) AS warm_up \gset
SELECT clock_timestamp() AS started \gset
CALL populate_entities('bench_notes', 'note', 'entities', $BATCH);
INSERT INTO timings SELECT 'populate_entities', count(*), extract(epoch FROM clock_timestamp() - :'started') * 1000
FROM bench_notes WHERE entities IS NOT NULL;
$(figures "populate_entities" "$BATCH" "$1")
SQL
}

for round in $(seq 1 "$ROUNDS"); do
    step "round $round of $ROUNDS: engine alone (int8), then the SQL paths, on the same notes"
    engine "$SHIPPED_MODEL" int8 "$round"
    sql_paths "$round"
done
step "engine alone with the fp32 twin"
engine "$WORK/fp32" fp32 1
[ "$(psql -X -t -A -d "$DB" -c "SELECT count(*) FROM bench_notes WHERE entities = extract_entities_json(note)")" = "$NOTES" ] \
    || { echo "populate_entities did not fill every row with the per-row result" >&2; exit 1; }

step "Python: transformers pipeline (PyTorch fp32, the same weights) and onnxruntime (the shipped int8 file)"
"$VENV/bin/python" "$ROOT/bench/python_paths.py" onnxruntime --notes "$WORK/notes.csv" --model "$SHIPPED_MODEL" | tee -a "$RESULTS"
"$VENV/bin/python" "$ROOT/bench/python_paths.py" transformers --notes "$WORK/notes.csv" --model "$SHIPPED_MODEL" \
    --checkpoint "$CHECKPOINT/pytorch" | tee -a "$RESULTS"

step "int8 against fp32: token F1 through the engine on the development sets"
TRAIN="$ROOT/target/release/clinical-ner-train"
(cd "$ROOT" && cargo build -q --release -p clinical_ner_training -p clinical_ner_engine --example extract)
mkdir -p "$WORK/f1"
for set in mtsamples-gold-dev bc5cdr-dev ncbi-disease-dev maccrobat2020-dev psytar-dev; do
    flags=(); case "$set" in bc5cdr-*|ncbi-disease-*) flags=(--symptom-counts-as-disease) ;; esac
    "$TRAIN" export-notes --corpus "$set" > "$WORK/f1/$set.notes.jsonl"
    for model in "$SHIPPED_MODEL:int8" "$WORK/fp32:fp32"; do
        "$ROOT/target/release/examples/extract" "${model%:*}" "$ORT_LIBRARY" < "$WORK/f1/$set.notes.jsonl" \
            > "$WORK/f1/$set.${model##*:}.jsonl"
        "$TRAIN" evaluate --corpus "$set" --predictions "$WORK/f1/$set.${model##*:}.jsonl" "${flags[@]}" \
            --json "$WORK/f1/$set.${model##*:}.json" > /dev/null
    done
done

step "docs/benchmarks.md and docs/benchmarks.png"
"$VENV/bin/python" "$ROOT/bench/report.py" --results "$RESULTS" --f1 "$WORK/f1" --config "$CHECKPOINT/pytorch/config.json" \
    --max-sequence-length "$("$VENV/bin/python" -c "import json; print(json.load(open('$SHIPPED_MODEL/manifest.json'))['max_sequence_length'])")" \
    --out "$ROOT/docs"

step "what codes cost a backend (the mapped vocabulary): bench/vocabulary.sh, printed here, described in docs/benchmarks.md"
"$ROOT/bench/vocabulary.sh" "$ROUNDS"

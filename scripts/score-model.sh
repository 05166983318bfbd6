#!/usr/bin/env bash
# Scores a model folder on gold corpora through the engine (the path users run): the engine's extract
# example labels each corpus's documents, and `clinical-ner-train evaluate` scores them (strict,
# lenient and token-level precision, recall and F1 per type). Every published F1 comes from here.
#   scripts/score-model.sh MODEL_FOLDER OUT_FOLDER CORPUS...   (e.g. mtsamples-gold-test maccrobat2020-dev)
# Writes OUT_FOLDER/CORPUS.predictions.jsonl and OUT_FOLDER/CORPUS.json; prints a table per corpus.
source "$(dirname "$0")/common.sh"
[ $# -ge 3 ] || { echo "usage: $0 MODEL_FOLDER OUT_FOLDER CORPUS..." >&2; exit 2; }
model="$(cd "$1" && pwd)" out="$2"
shift 2
mkdir -p "$out"
(cd "$ROOT" && cargo build --release -q -p clinical_ner_training && cargo build --release -q -p clinical_ner_engine --example extract)
train="$ROOT/target/release/clinical-ner-train"
for corpus in "$@"; do
    flags=()
    # BC5CDR and NCBI annotate signs and symptoms as Disease: a predicted symptom counts as one there.
    case "$corpus" in bc5cdr-*|ncbi-disease-*) flags=(--symptom-counts-as-disease) ;; esac
    "$train" export-notes --data-dir "$DATA_DIR" --corpus "$corpus" \
        | "$ROOT/target/release/examples/extract" "$model" "$ORT_LIBRARY" > "$out/$corpus.predictions.jsonl"
    echo "## $corpus"
    "$train" evaluate --data-dir "$DATA_DIR" --corpus "$corpus" --predictions "$out/$corpus.predictions.jsonl" \
        "${flags[@]}" --json "$out/$corpus.json"
done

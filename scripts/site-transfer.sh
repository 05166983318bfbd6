#!/usr/bin/env bash
# The site-transfer study of docs/results.md, end to end (about 45 minutes on 2 CPU cores):
#   1. site-study: abstracts (BC5CDR) and trial criteria (Chia) as two sites; local, shared and
#      transferred models, each scored at both sites (table, JSON and plot);
#   2. the shipped model taken to the trial-criteria site with `adapt`, twice: with the site's
#      teacher labels (DrugBank, Disease Ontology and HPO dictionaries on Chia's training notes), as a
#      site without gold would, and with its gold training labels; each stops on Chia dev and reports
#      F1 before and after on the shipped model's test sets and on Chia test.
# Outputs go to training/work/site-transfer (or $SITE_WORK); nothing is written into models/.
source "$(dirname "$0")/common.sh"
ensure_python_env
cd "$ROOT"

WORK="${SITE_WORK:-$ROOT/training/work/site-transfer}"
TRAIN="$ROOT/target/release/clinical-ner-train"
PYTHON=(env PYTHONPATH="$ROOT/training/python" "$VENV/bin/python" -m clinical_ner_train)
ORIGINAL_TESTS=(bc5cdr-test ncbi-disease-test psytar-test maccrobat2020-dev chia-test)
mkdir -p "$WORK"

step "build clinical-ner-train"
cargo build --release -q -p clinical_ner_training

step "1. local, shared and transferred models on two sites"
[ -s "$WORK/site-study.json" ] || "${PYTHON[@]}" site-study --data-dir "$DATA_DIR" --markdown "$WORK/site-study.md"

step "2a. the trial-criteria site's teachers label its training notes"
"$TRAIN" export-notes --data-dir "$DATA_DIR" --corpus chia-train > "$WORK/chia-train.jsonl"
labels=()
for teacher_types in drugbank:medication disease-ontology:disease hpo:disease,symptom; do
    teacher="${teacher_types%%:*}"
    "$TRAIN" label --data-dir "$DATA_DIR" --teacher "$teacher" --types "${teacher_types#*:}" \
        --notes "$WORK/chia-train.jsonl" > "$WORK/chia-train.$teacher.jsonl"
    labels+=("$WORK/chia-train.$teacher.jsonl")
done

step "2b. the shipped model adapted with the site's teacher labels"
"${PYTHON[@]}" adapt --data-dir "$DATA_DIR" --model "$SHIPPED_MODEL" --site-notes "$WORK/chia-train.jsonl" \
    --site-labels "${labels[@]}" --held-out chia-dev --original-tests "${ORIGINAL_TESTS[@]}" \
    --out "$WORK/shipped-to-trials-teachers"

step "2c. the shipped model adapted with the site's gold labels"
"${PYTHON[@]}" adapt --data-dir "$DATA_DIR" --model "$SHIPPED_MODEL" --site-corpus chia-train \
    --held-out chia-dev --original-tests "${ORIGINAL_TESTS[@]}" --out "$WORK/shipped-to-trials-gold"

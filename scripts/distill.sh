#!/usr/bin/env bash
# The distillation pipeline of arXiv 2501.00031 on our data, end to end and resumable: every stage
# writes into training/work/distill and is skipped when its output is already there (delete a file
# to redo its stage).
#
#   1. teachers label each task's gold development sample;   select ranks every teacher subset
#   2. the chosen teachers label unlabelled notes;           merge writes the student's training set
#   3. the chosen combination labels the gold test sets;     evaluate scores it
#   4. students learn from teacher labels, human labels and both (Python, CPU or GPU)
#   5. students run through the engine on the test sets;     evaluate scores them
#   6. the table and plots (docs/distillation.md, docs/distillation-*.png)
#
# LLM teachers come from training/teachers/local.json (SmolLM2 served by llama-cpp-python on
# 127.0.0.1:8089, started here when it is not running) or from $CLINICAL_NER_TEACHERS with
# $LLM_TEACHERS naming them. Slow teachers label a sample of each development set (DEV_LIMIT_*).
source "$(dirname "$0")/common.sh"
cd "$ROOT"

WORK="${DISTILL_WORK:-$ROOT/training/work/distill}"
TEACHERS_FILE="${CLINICAL_NER_TEACHERS:-$ROOT/training/teachers/local.json}"
LLM_TEACHERS="${LLM_TEACHERS:-smollm2-135m}"
NOTES_LIMIT="${NOTES_LIMIT:-800}"
STUDENTS="${STUDENTS:-teacher human human+teacher}"
TRAIN="$ROOT/target/release/clinical-ner-train"
export CLINICAL_NER_DATA="$DATA_DIR"
mkdir -p "$WORK"/{dev,notes,test,students,scores}

# task, development corpus, sample size, dictionary teachers that label the task
TASKS=(
    "medication bc5cdr-dev ${DEV_LIMIT_MEDICATION:-40} rxnorm drugbank"
    "disease ncbi-disease-dev ${DEV_LIMIT_DISEASE:-40} disease-ontology hpo"
    "symptom psytar-dev ${DEV_LIMIT_SYMPTOM:-100} symptom-ontology hpo"
)
TEST_SETS="bc5cdr-test ncbi-disease-test psytar-test maccrobat2020-dev"

step "build clinical-ner-train"
cargo build --release -q -p clinical_ner_training

if [ "$TEACHERS_FILE" = "$ROOT/training/teachers/local.json" ] \
    && ! curl -sf http://127.0.0.1:8089/v1/models >/dev/null; then
    step "start SmolLM2-135M-Instruct on 127.0.0.1:8089 (llama-cpp-python)"
    "$ROOT/scripts/llm-server.sh" start
fi

# label NAME OUT [label args...]: one teacher's labels, with its figures beside them.
label() {
    local teacher="$1" out="$2"
    shift 2
    [ -s "$out" ] && return
    "$TRAIN" label --teacher "$teacher" --teachers "$TEACHERS_FILE" --cache "$ROOT/training/work/llm-cache" \
        --report "${out%.jsonl}.report.json" "$@" > "$out.partial"
    mv "$out.partial" "$out"
}

step "1. teachers on the development samples, and selection"
for task_line in "${TASKS[@]}"; do
    read -r task dev limit dictionaries <<< "$task_line"
    args=()
    for teacher in $dictionaries $LLM_TEACHERS; do
        out="$WORK/dev/$task.$teacher.jsonl"
        label "$teacher" "$out" --corpus "$dev" --limit "$limit" --types "$task"
        args+=(--teacher "$teacher=$out")
    done
    if [ ! -s "$WORK/dev/$task.selection.json" ]; then
        "$TRAIN" select --corpus "$dev" --limit "$limit" --task "$task" "${args[@]}" \
            --json "$WORK/dev/$task.selection.json" > "$WORK/dev/$task.ranking.md"
    fi
    head -5 "$WORK/dev/$task.ranking.md"
done
chosen_teachers() {
    python3 -c 'import json,sys; print(" ".join(sorted({t for p in sys.argv[1:] for t in json.load(open(p))["chosen"]["teachers"]})))' \
        "$WORK"/dev/*.selection.json
}
CHOSEN="$(chosen_teachers)"
echo "chosen teachers: $CHOSEN"

step "2. the chosen teachers label unlabelled notes (MTSamples sample + ACI-Bench), merge"
NOTES="$WORK/notes/notes.jsonl"
if [ ! -s "$NOTES" ]; then
    {
        "$TRAIN" export-notes --notes "$DATA_DIR/mtsamples/mtsamples.csv.gz" --limit "$NOTES_LIMIT"
        for split in train valid; do
            "$TRAIN" export-notes --notes "$DATA_DIR/aci-bench-and-mts-dialog/aci-bench/challenge_data/$split.csv" \
                --id-column encounter_id --text-column note
        done
    } > "$NOTES.partial"
    mv "$NOTES.partial" "$NOTES"
fi
merge_args=()
for selection in "$WORK"/dev/*.selection.json; do merge_args+=(--selection "$selection"); done
note_args=()
for teacher in $CHOSEN; do
    label "$teacher" "$WORK/notes/$teacher.jsonl" --notes "$NOTES"
    note_args+=(--teacher "$teacher=$WORK/notes/$teacher.jsonl")
done
DATASET="$WORK/notes/dataset.jsonl"
[ -s "$DATASET" ] || "$TRAIN" merge --notes "$NOTES" "${merge_args[@]}" "${note_args[@]}" --output dataset > "$DATASET"
echo "$(wc -l < "$DATASET") teacher-labelled notes in $DATASET"

# evaluate_on SET PREDICTIONS OUT: scores as the student's are scored.
evaluate_on() {
    local set="$1" predictions="$2" out="$3" flags=()
    case "$set" in bc5cdr-*|ncbi-disease-*) flags=(--symptom-counts-as-disease) ;; esac
    "$TRAIN" evaluate --corpus "$set" --predictions "$predictions" "${flags[@]}" --json "$out" > /dev/null
}

step "3. the chosen combination on the test sets"
for set in $TEST_SETS; do
    test_args=()
    for teacher in $CHOSEN; do
        label "$teacher" "$WORK/test/$set.$teacher.jsonl" --corpus "$set"
        test_args+=(--teacher "$teacher=$WORK/test/$set.$teacher.jsonl")
    done
    merged="$WORK/test/$set.best-teachers.jsonl"
    [ -s "$merged" ] || "$TRAIN" merge --corpus "$set" "${merge_args[@]}" "${test_args[@]}" --output predictions > "$merged"
    evaluate_on "$set" "$merged" "$WORK/scores/$set.best-teachers.json"
done

step "4. students"
for student in $STUDENTS; do
    folder="$WORK/students/$student"
    [ -s "$folder/manifest.json" ] && continue
    PYTHONPATH=training/python "$VENV/bin/python" -m clinical_ner_train first-model --mix "$student" \
        --teacher-dataset "$DATASET" --out "$folder" --data-dir "$DATA_DIR" ${STUDENT_ARGS:-} \
        > "$WORK/students/$student.log" 2>&1
done

step "5. students through the engine on the test sets"
cargo build --release -q -p clinical_ner_engine --example extract
for student in $STUDENTS shipped; do
    folder="$WORK/students/$student"
    [ "$student" = shipped ] && folder="$SHIPPED_MODEL"
    for set in $TEST_SETS; do
        out="$WORK/test/$set.student-$student.jsonl"
        if [ ! -s "$out" ]; then
            "$TRAIN" export-notes --corpus "$set" > "$WORK/test/$set.notes.jsonl"
            started=$(date +%s%N)
            "$ROOT/target/release/examples/extract" "$folder" "$ORT_LIBRARY" < "$WORK/test/$set.notes.jsonl" > "$out.partial"
            milliseconds=$(( ($(date +%s%N) - started) / 1000000 ))
            echo "{\"notes\": $(wc -l < "$out.partial"), \"seconds\": $milliseconds.0e-3}" > "${out%.jsonl}.report.json"
            mv "$out.partial" "$out"
        fi
        evaluate_on "$set" "$out" "$WORK/scores/$set.student-$student.json"
    done
done

step "6. table and plots"
PYTHONPATH=training/python "$VENV/bin/python" -m clinical_ner_train distillation-report --work "$WORK" \
    --out "$ROOT/docs/distillation.md"

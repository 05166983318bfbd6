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
ensure_python_env
cd "$ROOT"

WORK="${DISTILL_WORK:-$ROOT/training/work/distill}"
TEACHERS_FILE="${CLINICAL_NER_TEACHERS:-$ROOT/training/teachers/local.json}"
LLM_TEACHERS="${LLM_TEACHERS:-smollm2-135m}"
NOTES_LIMIT="${NOTES_LIMIT:-800}"
# A student is a training mix (training/src/training_mix.rs), optionally with @STEPS
# for a longer run than STUDENT_ARGS gives.
STUDENTS="${STUDENTS-human+teacher teacher human human+teacher@1500}"
# The same training budget for every student: 300 steps of 2,048 tokens, about a quarter of an hour
# each on a 2-core CPU with its evaluation. On a GPU, STUDENT_ARGS="" trains the paper's 10 epochs.
STUDENT_ARGS="${STUDENT_ARGS---max-steps 300}"
TRAIN="$ROOT/target/release/clinical-ner-train"
export CLINICAL_NER_DATA="$DATA_DIR"
mkdir -p "$WORK"/{dev,notes,test,students,scores}

# task, development corpus, sample size, dictionary teachers that label the task. Every task is chosen on
# the note gold set's dev split (clinical-note wording, every type annotated by the project team): the
# first 25 of its 100 notes, which a CPU-served LLM teacher labels in minutes.
TASKS=(
    "medication mtsamples-gold-dev ${DEV_LIMIT_MEDICATION:-25} rxnorm drugbank"
    "disease mtsamples-gold-dev ${DEV_LIMIT_DISEASE:-25} disease-ontology hpo"
    "symptom mtsamples-gold-dev ${DEV_LIMIT_SYMPTOM:-25} symptom-ontology hpo"
)
# held-out gold test sets of each task
declare -A TEST_SETS_OF=(
    [medication]="mtsamples-gold-test bc5cdr-test maccrobat2020-dev"
    [disease]="mtsamples-gold-test ncbi-disease-test bc5cdr-test maccrobat2020-dev"
    [symptom]="mtsamples-gold-test psytar-test maccrobat2020-dev"
)
TEST_SETS="mtsamples-gold-test bc5cdr-test ncbi-disease-test psytar-test maccrobat2020-dev"
# Documents of each test set that every labeller is scored on: all, but for PsyTAR test the first 300
# of 1,191 sentences, which a CPU-served LLM teacher labels in minutes rather than half an hour.
declare -A TEST_LIMIT=([psytar-test]="${PSYTAR_TEST_LIMIT:-300}")
limit_of() { [ -n "${TEST_LIMIT[$1]:-}" ] && echo "--limit ${TEST_LIMIT[$1]}"; true; }
# The training set's teachers must label every note: a combination is chosen for it only when its
# teachers together took at most this long per development document (the best combination at any
# cost is still scored on the test sets). 0.1 s keeps dictionaries in and a CPU-served LLM out; raise
# it for a hosted LLM with enough concurrency.
MAX_SECONDS_PER_NOTE="${MAX_SECONDS_PER_NOTE:-0.1}"

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
            --max-seconds-per-note "$MAX_SECONDS_PER_NOTE" \
            --json "$WORK/dev/$task.selection.json" > "$WORK/dev/$task.ranking.md"
    fi
    head -5 "$WORK/dev/$task.ranking.md"
done
# teachers FIELD [TASK]: the teachers of the chosen ("chosen") or best ("best") combinations.
teachers() {
    python3 -c 'import json,sys; print(" ".join(sorted({t for p in sys.argv[2:] for t in json.load(open(p))[sys.argv[1]]["teachers"]})))' \
        "$1" "$WORK"/dev/${2:-*}.selection.json
}
# tasks_of TEACHER: the tasks whose chosen combination includes it, comma-separated.
tasks_of() {
    python3 -c 'import json,sys; print(",".join(sorted(json.load(open(p))["task"] for p in sys.argv[2:] if sys.argv[1] in json.load(open(p))["chosen"]["teachers"])))' \
        "$1" "$WORK"/dev/*.selection.json
}
CHOSEN="$(teachers chosen)"
echo "teachers chosen for the training set: $CHOSEN"

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
    label "$teacher" "$WORK/notes/$teacher.jsonl" --notes "$NOTES" --types "$(tasks_of "$teacher")"
    note_args+=(--teacher "$teacher=$WORK/notes/$teacher.jsonl")
done
DATASET="$WORK/notes/dataset.jsonl"
[ -s "$DATASET" ] || "$TRAIN" merge --notes "$NOTES" "${merge_args[@]}" "${note_args[@]}" --output dataset > "$DATASET"
echo "$(wc -l < "$DATASET") teacher-labelled notes in $DATASET"

# evaluate_on SET PREDICTIONS OUT: scores as the student's are scored.
evaluate_on() {
    local set="$1" predictions="$2" out="$3" flags=()
    case "$set" in bc5cdr-*|ncbi-disease-*) flags=(--symptom-counts-as-disease) ;; esac
    "$TRAIN" evaluate --corpus "$set" $(limit_of "$set") --predictions "$predictions" "${flags[@]}" \
        --json "$out" > /dev/null
}

step "3. the teacher combinations on the test sets, task by task"
for task_line in "${TASKS[@]}"; do
    read -r task _ <<< "$task_line"
    for set in ${TEST_SETS_OF[$task]}; do
        test_args=()
        for teacher in $( (teachers chosen "$task"; teachers best "$task") | tr ' ' '\n' | sort -u); do
            out="$WORK/test/$set.$task.$teacher.jsonl"
            label "$teacher" "$out" --corpus "$set" $(limit_of "$set") --types "$task"
            test_args+=(--teacher "$teacher=$out")
        done
        for which in best chosen; do
            merged="$WORK/test/$set.$task.$which-teachers.jsonl"
            flag=(); [ "$which" = best ] && flag=(--best-at-any-cost)
            [ -s "$merged" ] || "$TRAIN" merge --corpus "$set" $(limit_of "$set") --selection "$WORK/dev/$task.selection.json" \
                "${test_args[@]}" "${flag[@]}" --output predictions > "$merged"
            evaluate_on "$set" "$merged" "$WORK/scores/$set.$task.$which-teachers.json"
        done
    done
done

step "4. students"
for student in $STUDENTS; do
    folder="$WORK/students/$student"
    [ -s "$folder/manifest.json" ] && continue
    # A weak student may fail the sanity sentence (exit 1) and is still scored; a missing manifest
    # means the run itself failed.
    args=($STUDENT_ARGS)
    [[ "$student" == *@* ]] && args=(--max-steps "${student#*@}")
    PYTHONPATH=training/python "$VENV/bin/python" -m clinical_ner_train first-model --mix "${student%@*}" \
        --teacher-dataset "$DATASET" --out "$folder" --data-dir "$DATA_DIR" "${args[@]}" \
        > "$WORK/students/$student.log" 2>&1 || echo "$student: sanity sentence not tagged as expected"
    [ -s "$folder/manifest.json" ] || { echo "$student: training failed, see $WORK/students/$student.log"; exit 1; }
done

step "5. students through the engine on the test sets"
cargo build --release -q -p clinical_ner_engine --example extract
for student in $STUDENTS shipped; do
    folder="$WORK/students/$student"
    [ "$student" = shipped ] && folder="$SHIPPED_MODEL"
    for set in $TEST_SETS; do
        out="$WORK/test/$set.student-$student.jsonl"
        if [ ! -s "$out" ]; then
            "$TRAIN" export-notes --corpus "$set" $(limit_of "$set") > "$WORK/test/$set.notes.jsonl"
            started=$(date +%s%N)
            "$ROOT/target/release/examples/extract" "$folder" "$ORT_LIBRARY" < "$WORK/test/$set.notes.jsonl" > "$out.partial"
            milliseconds=$(( ($(date +%s%N) - started) / 1000000 ))
            # The same figures as `clinical-ner-train label --report` writes for a teacher.
            awk -v n="$(wc -l < "$out.partial")" -v ms="$milliseconds" 'BEGIN {
                printf "{\"notes\": %d, \"seconds\": %.3f, \"seconds_per_note\": %s}\n", n, ms / 1000, n ? ms / 1000 / n : "null" }' \
                > "${out%.jsonl}.report.json"
            mv "$out.partial" "$out"
        fi
        evaluate_on "$set" "$out" "$WORK/scores/$set.student-$student.json"
    done
done

step "6. table and plots"
PYTHONPATH=training/python "$VENV/bin/python" -m clinical_ner_train distillation-report --work "$WORK" \
    --out "$ROOT/docs/distillation.md"

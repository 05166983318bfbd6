#!/usr/bin/env bash
# Longer run (not in the test command): coverage-guided fuzzing of the engine with cargo fuzz
# (libFuzzer) for SECONDS, on the real model, then the corpus minimised into engine/fuzz/corpus/extract.
# The test command replays that corpus on stable (engine/tests/fuzz_corpus.rs).
# Needs a nightly toolchain (libFuzzer's instrumentation); installs cargo-fuzz if missing.
# Usage: tests/fuzz/run.sh [SECONDS=600]
source "$(dirname "$0")/../../scripts/common.sh"
SECONDS_TO_RUN="${1:-600}"
CORPUS="$ROOT/engine/fuzz/corpus/extract"
cargo +nightly --version >/dev/null 2>&1 || { echo "needs a nightly toolchain: rustup toolchain install nightly" >&2; exit 1; }
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
mkdir -p "$CORPUS"
# Seeds: the kinds of text the SQL tests use, so that fuzzing starts from notes rather than from nothing.
seed() { printf '%s' "$2" > "$CORPUS/seed-$1"; }
seed acceptance 'Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.'
seed multibyte 'Patiënt kreeg metformine; 患者有胸痛 and took aspirin 😷 for fever.'
seed markup '<p>Started <b>lisinopril</b> for hypertension</p> {\rtf1 {\b warfarin}\par}'
seed control $'\x01\x02\x7f aspirin \xef\xbb\xbf\xe2\x80\x8b headache \x1b[31m'
seed repeated "$(printf 'aspirin %.0s' $(seq 1 300))"
export CLINICAL_NER_MODEL="$SHIPPED_MODEL" CLINICAL_NER_ORT_LIBRARY="$ORT_LIBRARY"
cd "$ROOT/engine"
# No sanitizer: the Rust side is memory-safe, and ONNX Runtime (C++, not instrumented) is loaded at run time.
cargo +nightly fuzz run --sanitizer none extract "$CORPUS" -- \
    -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 2>&1 | tail -25
cargo +nightly fuzz cmin --sanitizer none extract "$CORPUS" 2>&1 | tail -3
echo "corpus: $(ls "$CORPUS" | wc -l) inputs, $(du -sh "$CORPUS" | cut -f1)"

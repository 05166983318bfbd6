#!/usr/bin/env bash
# Installs what the extension needs on a fresh Debian 12 machine, builds the extension and installs
# it, with ONNX Runtime and the shipped model, into the local PostgreSQL 15; with --with-python, also
# the Python environment for training, benchmarks and the client tests (the test command asks for
# it, the demo does not); with --gpu, also the ONNX Runtime build with the CUDA execution provider,
# beside the CPU one (README, "On a GPU server"; the test command installs it too, to check that it
# serves on the CPU and refuses CUDA clearly where there is none). Each step is skipped when already
# done, so running it again is cheap.
#   scripts/setup.sh [--with-python] [--gpu]
source "$(dirname "$0")/common.sh"

WITH_PYTHON=false
WITH_GPU=false
for option in "$@"; do
    case "$option" in
        --with-python) WITH_PYTHON=true ;;
        --gpu) WITH_GPU=true ;;
        *) echo "unknown option $option; the options: --with-python --gpu" >&2; exit 2 ;;
    esac
done

install_system_packages() {
    # curl: scripts/llm-server.sh and scripts/distill.sh ask the local LLM server whether it is up;
    # procps: the inference worker test and benchmark find the worker process with pgrep;
    # wamerican: English words, which the linker never takes for misspellings.
    local packages=(postgresql-15 postgresql-server-dev-15 libclang-dev clang pkg-config build-essential unzip curl procps wamerican)
    local missing=()
    for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return
    step "apt packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_cargo_pgrx() {
    if cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then return; fi
    step "cargo-pgrx $PGRX_VERSION (a few minutes, once)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
}

init_pgrx() {
    grep -q '^pg15' "${PGRX_HOME:-$HOME/.pgrx}/config.toml" 2>/dev/null && return
    step "cargo pgrx init (uses the system PostgreSQL 15, downloads nothing)"
    cargo pgrx init --pg15 "$PG_CONFIG"
}

# fetch_onnxruntime PACKAGE VERSION LIBRARY [PROVIDER...]: libonnxruntime.so.VERSION out of the
# wheel PACKAGE==VERSION, with the execution-provider libraries named, into LIBRARY's folder.
fetch_onnxruntime() {
    local package="$1" version="$2" library="$3" download provider
    shift 3
    [ -f "$library" ] && return
    step "ONNX Runtime $version from the $package wheel"
    download="$(mktemp -d)"
    python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
        --python-version 3.11 -d "$download" "$package==$version"
    mkdir -p "$(dirname "$library")"
    # The library last: its presence is what says the step is done.
    for provider in "$@"; do
        unzip -q -j -o "$download"/*.whl "onnxruntime/capi/$provider" -d "$(dirname "$library")"
    done
    unzip -q -j -o "$download"/*.whl "onnxruntime/capi/libonnxruntime.so.$version" -d "$(dirname "$library")"
    rm -rf "$download"
}

install_onnxruntime() {
    fetch_onnxruntime onnxruntime "$ONNXRUNTIME_VERSION" "$ORT_LIBRARY"
    # Only for the tests: a library too old for the engine must be a clear error, never a crash.
    fetch_onnxruntime onnxruntime "$TOO_OLD_ONNXRUNTIME_VERSION" "$TOO_OLD_ORT_LIBRARY"
    if $WITH_GPU; then
        fetch_onnxruntime onnxruntime-gpu "$GPU_ONNXRUNTIME_VERSION" "$GPU_ORT_LIBRARY" \
            libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so
    fi
}

# The linking vocabulary is built here from the open vocabularies in the data folder, never shipped in
# the repository (licences: see each folder's SOURCE.md). Built beside the target, then swapped in;
# rebuilt only when an input changed: the builder, the data folder's vocabularies, the team's
# supplement and list of chemicals that are not medications, or the English word list (their names,
# sizes and times, in .inputs beside the terms).
# Without a data folder nothing is built: the demo then runs without codes (scripts/demo.sh).
install_vocabulary() {
    local target="$1" builder="$ROOT/target/release/clinical-ner-train" inputs
    if ! compgen -G "$DATA_DIR/lexicon-*" >/dev/null; then
        step "no vocabularies in $DATA_DIR: no linking vocabulary built, entities get no codes"
        return 0
    fi
    (cd "$ROOT" && cargo build --release -q -p clinical_ner_training)
    inputs="$({ sha256sum "$builder"
                find "$DATA_DIR"/lexicon-* "$ROOT/training/vocabulary" "$ROOT/training/rules/not_medications.tsv" \
                    /usr/share/dict/american-english \
                    -type f -printf '%p %s %T@\n' 2>/dev/null | sort; } | sha256sum)"
    if [ -f "$target/manifest.json" ] && [ "$(cat "$target/.inputs" 2>/dev/null)" = "$inputs" ]; then
        step "linking vocabulary: up to date"
        return 0
    fi
    step "linking vocabulary from $DATA_DIR"
    rm -rf "$target.new"
    "$builder" vocabulary --data-dir "$DATA_DIR" --out "$target.new"
    echo "$inputs" > "$target.new/.inputs"
    rm -rf "$target"
    mv "$target.new" "$target"
}

install_extension() {
    step "build and install the clinical_ner extension"
    (cd "$ROOT" && cargo pgrx install --release --pg-config "$PG_CONFIG")
    local pkglib share
    pkglib="$("$PG_CONFIG" --pkglibdir)"
    share="$("$PG_CONFIG" --sharedir)"
    # The extension's settings default to these paths (see src/settings.rs).
    install -D -m 0644 "$ORT_LIBRARY" "$pkglib/clinical_ner/onnxruntime/libonnxruntime.so"
    if $WITH_GPU; then
        # Under its versioned name, with its providers beside it, where ONNX Runtime looks for them.
        local gpu_library
        for gpu_library in "$GPU_ORT_LIBRARY" "$(dirname "$GPU_ORT_LIBRARY")"/libonnxruntime_providers_*.so; do
            install -D -m 0644 "$gpu_library" "$pkglib/clinical_ner/onnxruntime-gpu/$(basename "$gpu_library")"
        done
    fi
    rm -rf "$share/clinical_ner/models/default"
    mkdir -p "$share/clinical_ner/models"
    cp -r "$SHIPPED_MODEL" "$share/clinical_ner/models/default"
    # The install scripts of earlier releases (every sql/clinical_ner--VERSION.sql, frozen at its
    # release), so that an installed earlier release can be recreated and upgraded
    # (tests/pg_regress/sql/upgrade.sql); cargo pgrx install copies only upgrade scripts.
    local script
    for script in "$ROOT"/sql/clinical_ner--*.sql; do
        [[ "$(basename "$script")" == clinical_ner--*--*.sql ]] || install -m 0644 "$script" "$share/extension/"
    done
    install_vocabulary "$share/clinical_ner/vocabulary"
    chmod -R a+rX "$share/clinical_ner" "$pkglib/clinical_ner"
}

install_system_packages
install_cargo_pgrx
init_pgrx
install_onnxruntime
if $WITH_PYTHON; then ensure_python_env; fi
install_extension

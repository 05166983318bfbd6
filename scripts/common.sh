# Shared by the scripts: paths, versions and small helpers. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${CLINICAL_NER_DATA:-$ROOT/../shared/data}"
PG_CONFIG="${PG_CONFIG:-/usr/bin/pg_config}"
PGRX_VERSION="0.18.1"
ONNXRUNTIME_VERSION="1.32.0"
TOOLS="$ROOT/.tools"
ORT_LIBRARY="$TOOLS/onnxruntime/libonnxruntime.so.$ONNXRUNTIME_VERSION"
TOO_OLD_ONNXRUNTIME_VERSION="1.20.1"
TOO_OLD_ORT_LIBRARY="$TOOLS/onnxruntime-too-old/libonnxruntime.so.$TOO_OLD_ONNXRUNTIME_VERSION"
# The build with the CUDA execution provider (scripts/setup.sh --gpu): the newest onnxruntime-gpu on
# the registry, built for CUDA 13 and cuDNN 9. Its providers are loaded from the library's own folder.
GPU_ONNXRUNTIME_VERSION="1.31.1"
GPU_ORT_LIBRARY="$TOOLS/onnxruntime-gpu/libonnxruntime.so.$GPU_ONNXRUNTIME_VERSION"
VENV="$ROOT/.venv"
SHIPPED_MODEL="$ROOT/models/clinical-ner-minilm"

# The local cluster lives inside the checkout and runs as the postgres user, who must be able to
# reach it: where a parent folder is closed to other users, it lives under /var/tmp instead.
reachable_by_others() {
    local dir="$1"
    while [ "$dir" != "/" ]; do
        [ "$(stat -c %A "$dir" | cut -c10)" = x ] || return 1
        dir="$(dirname "$dir")"
    done
}
if [ -n "${CLINICAL_NER_CLUSTER:-}" ]; then
    CLUSTER_DIR="$CLINICAL_NER_CLUSTER"
elif reachable_by_others "$ROOT"; then
    CLUSTER_DIR="$ROOT/.cluster"
else
    CLUSTER_DIR="/var/tmp/clinical_ner-cluster-$(printf %s "$ROOT" | sha256sum | cut -c1-12)"
fi
PGPORT="${CLINICAL_NER_PORT:-55432}"
PGHOST="$CLUSTER_DIR/run"
PGUSER=postgres
export PGPORT PGHOST PGUSER

step() { printf '\n==> %s\n' "$*"; }

# The Python environment for training, benchmarks and the client tests (.venv): PyTorch and llama.cpp
# among others, so only the commands that need it build it (the demo does not). Skipped when the
# requirement files are what it was built from.
ensure_python_env() {
    local stamp="$VENV/.requirements.sha256"
    local requirements=("$ROOT/training/requirements.txt" "$ROOT/tests/client/requirements.txt")
    local wanted; wanted="$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)"
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && return
    step "Python environment for training, benchmarks and the client tests (.venv)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "${requirements[0]}" -r "${requirements[1]}"
    echo "$wanted" > "$stamp"
}

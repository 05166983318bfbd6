# Shared by the scripts: paths, versions and small helpers. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${CLINICAL_NER_DATA:-$ROOT/../shared/data}"
PG_CONFIG="${PG_CONFIG:-/usr/bin/pg_config}"
PGRX_VERSION="0.18.1"
ONNXRUNTIME_VERSION="1.32.0"
TOOLS="$ROOT/.tools"
ORT_LIBRARY="$TOOLS/onnxruntime/libonnxruntime.so.$ONNXRUNTIME_VERSION"
VENV="$ROOT/.venv"
SHIPPED_MODEL="$ROOT/models/clinical-ner-minilm"

# The local cluster lives inside the checkout and runs as the postgres user.
CLUSTER_DIR="${CLINICAL_NER_CLUSTER:-$ROOT/.cluster}"
PGPORT="${CLINICAL_NER_PORT:-55432}"
PGHOST="$CLUSTER_DIR/run"
PGUSER=postgres
export PGPORT PGHOST PGUSER

step() { printf '\n==> %s\n' "$*"; }

